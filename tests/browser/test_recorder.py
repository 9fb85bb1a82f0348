"""The recorder in the Generate Note dialog: a closed dialog, telehealth calls, phones, the browser stopping it.

Chromium here cannot capture a real tab's sound headless (tab capture fails to start), so the
telehealth test keeps the browser's own screen share (the fake capture device) and replaces its
sound with a 1 kHz tone made in the page: the call. The microphone is the fake device playing
the sample session. The recording the server receives must hold both.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests import audio_tools
from tests.browser.conftest import PHONE, TOUCH, browser_page, screenshot, sign_in, worker_fixture
from tests.browser.test_generate_note import NOTE_URL, open_dialog
from tests.conftest import World
from tests.ui.conftest import give_consent

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(300)]

worker = worker_fixture()
CALL_HZ = 1000.0
PILL = re.compile(r"Recording \d:\d\d — return to the recorder")

# The page's getDisplayMedia as the clinician would answer the browser's picker: cancel it,
# share a screen without its sound, or share the call (the browser's share, with a tone as its sound).
CALL_SCRIPT = """
(() => {
  const real = navigator.mediaDevices.getDisplayMedia.bind(navigator.mediaDevices);
  window.__share = "call";
  navigator.mediaDevices.getDisplayMedia = async function (options) {
    if (window.__share === "cancel") throw new DOMException("Permission denied", "NotAllowedError");
    const shared = await real(options);
    shared.getAudioTracks().forEach(function (t) { t.stop(); shared.removeTrack(t); });
    if (window.__share === "no-sound") return shared;
    const ctx = new AudioContext();
    const tone = ctx.createOscillator();
    const gain = ctx.createGain();
    const out = ctx.createMediaStreamDestination();
    tone.frequency.value = CALL_HZ;
    gain.gain.value = 0.1;
    tone.connect(gain).connect(out);
    tone.start();
    out.stream.getAudioTracks().forEach(function (t) { shared.addTrack(t); });
    window.__callTrack = shared.getAudioTracks()[0];
    return shared;
  };
})();
""".replace("CALL_HZ", str(CALL_HZ))

# Keeps what the page got from the browser, to end the microphone and check the wake lock.
SPY_SCRIPT = """
(() => {
  const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  window.__mics = [];
  navigator.mediaDevices.getUserMedia = async function (c) { const s = await gum(c); window.__mics.push(s); return s; };
  window.__locks = [];
  if (navigator.wakeLock) {
    const request = navigator.wakeLock.request.bind(navigator.wakeLock);
    navigator.wakeLock.request = async function (t) { const l = await request(t); window.__locks.push(l); return l; };
  }
})();
"""


@pytest.fixture
def ready(transactional_db: None, world: World) -> World:
    give_consent(world.a)
    return world


@pytest.fixture
def phone(chromium: Any, live_server: Any) -> Iterator[Any]:
    with browser_page(chromium, live_server, PHONE, **TOUCH, permissions=["microphone", "screen-wake-lock"]) as page:
        yield page


def upload_parts(upload_id: Any) -> int:
    from transcription.models import AudioUpload

    return AudioUpload.objects.get(pk=upload_id).next_seq


def recorded_audio(upload: Any) -> Any:
    """The parts the server holds, joined as intake joins them, decoded to 16 kHz mono."""
    from intellisession.models import private_storage

    storage = private_storage()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "recording.webm"
        with path.open("wb") as out:
            for seq in range(upload.next_seq):
                with storage.open(upload.part_name(seq), "rb") as part:
                    out.write(part.read())
        return audio_tools.load(path)


def band_rms(samples: Any, low: float, high: float) -> float:
    spectrum = np.fft.rfft(samples)
    freqs = np.fft.rfftfreq(len(samples), 1 / audio_tools.RATE)
    spectrum[(freqs < low) | (freqs > high)] = 0
    return float(np.sqrt(np.mean(np.fft.irfft(spectrum, len(samples)) ** 2)))


def meter(dialog: Any, which: str) -> float:
    return float(dialog.locator(f"[data-audio-primary] [data-rec-{which}]").get_attribute("value") or 0)


def meter_peaks(page: Any, dialog: Any, seconds: float) -> dict[str, float]:
    """The highest value each level meter showed over a few seconds."""
    peaks = {"level": 0.0, "call-level": 0.0}
    for _ in range(round(seconds / 0.3)):
        page.wait_for_timeout(300)
        for which in peaks:
            peaks[which] = max(peaks[which], meter(dialog, which))
    return peaks


def fits(page: Any, what: str, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"{what}: the page is {scroll}px wide on a {width}px screen"
    inner = page.evaluate("(d => d.scrollWidth - d.clientWidth)(document.getElementById('generate-dialog'))")
    assert inner <= 0, f"{what}: the dialog scrolls sideways by {inner}px"


def test_closing_the_dialog_keeps_the_recording_going_and_visible(page: Any, ready: World) -> None:
    from transcription.models import AudioUpload

    dialog = open_dialog(page, ready)
    assert dialog.get_by_role("tab", name="Record", exact=True).is_visible()
    assert dialog.get_by_role("button", name="Record", exact=True).count() == 0  # the tab alone says "Record"
    start = dialog.get_by_role("button", name="Start recording", exact=True)
    discard = dialog.locator("[data-audio-primary] [data-rec-discard]")
    assert discard.is_hidden()  # nothing recorded yet
    focused = []
    for _ in range(40):  # every control in the dialog, round once: Tab never lands on Discard
        page.keyboard.press("Tab")
        focused.append(page.evaluate("document.activeElement.hasAttribute('data-rec-discard')"))
    assert not any(focused)

    start.click()
    dialog.get_by_text("Recording.").wait_for()
    page.wait_for_timeout(4_000)
    dialog.get_by_role("button", name="Close").click()
    dialog.wait_for(state="hidden")
    pill = page.get_by_role("button", name=PILL)
    pill.wait_for()
    assert page.evaluate("!!document.activeElement.closest('[data-recording-pill]')")  # focus went to the pill
    upload = AudioUpload.objects.get()
    parts_at_close, shown_at_close = upload_parts(upload.pk), pill.inner_text()
    page.wait_for_timeout(4_000)
    assert pill.inner_text() != shown_at_close  # the time on the pill runs
    assert upload_parts(upload.pk) > parts_at_close  # and the recording goes on arriving
    screenshot(page, "recorder-pill")

    pill.click()
    dialog.wait_for()
    assert pill.is_hidden()
    assert dialog.get_by_text("Recording.").is_visible()
    assert page.evaluate("document.activeElement.textContent") == "Pause"
    dialog.get_by_role("button", name="Stop").click()
    dialog.get_by_text(re.compile(r"Recording stopped: 0:\d\d recorded and uploaded")).wait_for()
    note = dialog.locator("[data-audio-primary] [data-rec-upload]")
    assert re.fullmatch(r"Upload complete \(\d+ KB\)\.", note.inner_text()), note.inner_text()
    assert discard.is_visible()
    assert dialog.get_by_role("button", name="Record more").is_visible()
    page.keyboard.press("Escape")
    dialog.wait_for(state="hidden")
    assert pill.is_hidden()  # nothing is recording now: the page shows nothing
    screenshot(page, "recorder-stopped-closed")


def test_telehealth_records_the_call_and_the_microphone_together(page: Any, ready: World, worker: Any) -> None:
    from transcription.models import AudioUpload

    page.add_init_script(CALL_SCRIPT)
    dialog = open_dialog(page, ready)
    dialog.get_by_label(re.compile("Also record a video call")).check()
    start = dialog.get_by_role("button", name="Start recording", exact=True)

    page.evaluate("window.__share = 'cancel'")
    start.click()
    dialog.get_by_text(re.compile("Nothing was shared, so recording has not started")).wait_for()
    page.evaluate("window.__share = 'no-sound'")
    start.click()
    dialog.get_by_text(re.compile("What you shared has no sound, so recording has not started")).wait_for()
    assert not AudioUpload.objects.exists() and start.is_enabled()

    page.evaluate("window.__share = 'call'")
    start.click()
    dialog.get_by_text("Recording the call and the microphone.").wait_for()
    assert dialog.get_by_label("Call", exact=True).is_visible() and dialog.get_by_label("Microphone").is_visible()
    peaks = meter_peaks(page, dialog, 6)
    assert peaks["level"] > 0.05 and peaks["call-level"] > 0.05, peaks
    screenshot(page, "recorder-telehealth-meters")
    page.wait_for_timeout(6_000)
    # "Stop sharing" in the browser ends the call's track; the microphone goes on.
    page.evaluate("(t => { t.stop(); t.dispatchEvent(new Event('ended')); })(window.__callTrack)")
    dialog.get_by_text("The call is no longer shared; the microphone is still recording.").wait_for()
    peaks = meter_peaks(page, dialog, 2)
    assert peaks["call-level"] == 0 and peaks["level"] > 0.05, peaks
    dialog.get_by_role("button", name="Stop").click()
    dialog.get_by_text(re.compile(r"Recording stopped: 0:1\d recorded and uploaded")).wait_for()
    assert dialog.get_by_label("Call", exact=True).is_hidden()

    upload = AudioUpload.objects.get()
    samples = recorded_audio(upload)
    assert len(samples) > 10 * audio_tools.RATE
    call = band_rms(samples, CALL_HZ - 15, CALL_HZ + 15)
    voice = band_rms(samples, 100, 900)  # below the tone: only the microphone's speech is there
    assert call > 0.02, f"the call's tone is missing from the recording ({call:.4f})"
    assert voice > 0.01, f"the microphone's speech is missing from the recording ({voice:.4f})"

    dialog.get_by_role("button", name="Create").click()
    page.wait_for_url(NOTE_URL, timeout=180_000)
    page.goto(page.url + "transcript/")
    transcript = page.locator("main").inner_text().lower()
    heard = [w for w in ("morning", "anniversary", "father", "saturday", "photos") if w in transcript]
    assert len(heard) >= 2, transcript[:600]  # the microphone's speech, transcribed despite the call's tone


def record_spied(page: Any, ready: World, milliseconds: int) -> Any:
    """The dialog, recording for this long, with the page's microphone streams and wake locks in view."""
    page.add_init_script(SPY_SCRIPT)
    dialog = open_dialog(page, ready)
    dialog.get_by_role("button", name="Start recording", exact=True).click()
    dialog.get_by_text("Recording.").wait_for()
    page.wait_for_timeout(milliseconds)
    return dialog


def test_the_browser_ending_the_microphone_keeps_what_was_recorded(page: Any, ready: World) -> None:
    from transcription.models import AudioUpload

    dialog = record_spied(page, ready, 3_500)
    # The system takes the microphone away for a while (another app, a hidden page on a phone).
    page.evaluate("window.__mics[0].getAudioTracks()[0].dispatchEvent(new Event('mute'))")
    dialog.get_by_text(re.compile("The browser has paused the microphone, so nothing is being recorded now")).wait_for()
    page.evaluate("window.__mics[0].getAudioTracks()[0].dispatchEvent(new Event('unmute'))")
    dialog.get_by_text("Recording.").wait_for()
    page.wait_for_timeout(1_000)
    dialog.get_by_role("button", name="Close").click()
    page.get_by_role("button", name=PILL).wait_for()
    # What the page sees when the microphone is unplugged or turned off by the system.
    page.evaluate("(t => { t.stop(); t.dispatchEvent(new Event('ended')); })(window.__mics[0].getAudioTracks()[0])")
    pill = page.get_by_role("button", name=re.compile(r"The recording stopped at 0:0\d — return to the recorder"))
    pill.wait_for()
    screenshot(page, "recorder-stopped-by-browser-pill")
    pill.click()
    dialog.get_by_text(
        re.compile(r"The recording stopped at 0:0\d: the browser turned off the microphone\. What was recorded is kept")
    ).wait_for()
    screenshot(page, "recorder-stopped-by-browser")
    upload = AudioUpload.objects.get()
    assert upload.status == "open" and upload.next_seq >= 1 and upload.bytes > 0
    assert dialog.locator("[data-audio-primary] [data-upload-ids] input").evaluate_all(
        "els => els.map(e => e.value)"
    ) == [str(upload.pk)]
    assert dialog.get_by_role("button", name="Record more").is_enabled()
    assert dialog.get_by_role("button", name="Discard recording").is_visible()
    assert len(recorded_audio(upload)) > 2 * audio_tools.RATE


def test_a_recorder_the_browser_stops_says_so_and_keeps_what_was_recorded(page: Any, ready: World) -> None:
    from transcription.models import AudioUpload

    dialog = record_spied(page, ready, 4_000)
    # The track ends without an event to the page; MediaRecorder stops on its own.
    page.evaluate("window.__mics[0].getAudioTracks()[0].stop()")
    dialog.get_by_text(
        re.compile(r"The recording stopped at 0:0\d: the browser stopped it\. What was recorded is kept and uploaded")
    ).wait_for()
    upload = AudioUpload.objects.get()
    assert upload.status == "open" and upload.next_seq >= 1
    assert dialog.get_by_role("button", name="Record more").is_enabled()
    assert re.fullmatch(
        r"Upload complete \(\d+ KB\)\.", dialog.locator("[data-audio-primary] [data-rec-upload]").inner_text()
    )


def test_the_screen_is_kept_on_while_recording(page: Any, ready: World) -> None:
    page.add_init_script(SPY_SCRIPT)
    dialog = open_dialog(page, ready)
    assert page.evaluate("window.__locks.length") == 0
    dialog.get_by_role("button", name="Start recording", exact=True).click()
    dialog.get_by_text("Recording.").wait_for()
    page.wait_for_function("window.__locks.length === 1 && !window.__locks[0].released")
    # The browser drops the lock when the page is hidden; shown again, the page asks anew.
    page.evaluate("window.__locks[0].release()")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    page.wait_for_function("window.__locks.length === 2 && !window.__locks[1].released")
    dialog.get_by_role("button", name="Stop").click()
    dialog.get_by_text(re.compile("Recording stopped")).wait_for()
    page.wait_for_function("window.__locks.every(l => l.released)")
    page.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    page.wait_for_timeout(300)
    assert page.evaluate("window.__locks.length") == 2  # not recording: the screen may sleep


def test_the_recorder_works_on_a_phone(phone: Any, ready: World) -> None:
    page = phone
    sign_in(page, ready.a.clinician.email)
    page.goto(f"/p/{ready.a.practice.slug}/clients/{ready.a.client.pk}/")
    page.get_by_role("link", name="Generate Note").tap()
    dialog = page.get_by_role("dialog", name="Generate Note")
    dialog.wait_for()
    fits(page, "the dialog", 390)
    box = dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
    screenshot(page, "phone-generate-dialog")
    start = dialog.get_by_role("button", name="Start recording", exact=True)
    target = start.bounding_box()
    assert target is not None and target["height"] >= 44, target
    start.tap()
    dialog.get_by_text("Recording.").wait_for()
    page.wait_for_timeout(3_500)
    fits(page, "the recorder while recording", 390)
    dialog.locator("[data-audio-primary] [data-rec-stop]").scroll_into_view_if_needed()
    screenshot(page, "phone-recorder")
    dialog.get_by_role("button", name="Close").tap()
    pill = page.get_by_role("button", name=PILL)
    pill.wait_for()
    pill_box = pill.bounding_box()
    assert pill_box is not None and pill_box["x"] >= 0 and pill_box["x"] + pill_box["width"] <= 390, pill_box
    fits(page, "the page with the recording pill", 390)
    screenshot(page, "phone-recording-pill")
    pill.tap()
    dialog.get_by_role("button", name="Stop").tap()
    dialog.get_by_text(re.compile(r"Recording stopped: 0:0\d recorded and uploaded")).wait_for()
    fits(page, "the recorder after stopping", 390)
