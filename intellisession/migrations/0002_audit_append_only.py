from django.db import migrations

FORBID = """
CREATE OR REPLACE FUNCTION intellisession_audit_forbid_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER intellisession_auditevent_append_only
    BEFORE UPDATE OR DELETE ON intellisession_auditevent
    FOR EACH ROW EXECUTE FUNCTION intellisession_audit_forbid_change();
"""

ALLOW = """
DROP TRIGGER IF EXISTS intellisession_auditevent_append_only ON intellisession_auditevent;
DROP FUNCTION IF EXISTS intellisession_audit_forbid_change();
"""


class Migration(migrations.Migration):
    dependencies = [("intellisession", "0001_initial")]

    operations = [migrations.RunSQL(FORBID, ALLOW)]
