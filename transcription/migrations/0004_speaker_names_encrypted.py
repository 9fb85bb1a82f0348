import intellisession.fields
from django.db import migrations


class Migration(migrations.Migration):
    """Speaker names become encrypted; nothing wrote them before, so the column is replaced."""

    dependencies = [
        ("transcription", "0003_transcriptionchunk_voice_prints"),
    ]

    operations = [
        migrations.RemoveField(model_name="transcription", name="speaker_names"),
        migrations.AddField(
            model_name="transcription",
            name="speaker_names",
            field=intellisession.fields.EncryptedJSONField(
                blank=True, default=dict, help_text="Label -> display name, e.g. Therapist."),
        ),
    ]
