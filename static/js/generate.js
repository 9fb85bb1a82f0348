// Generate Note: the dialog, its tabs and inputs, and the in-browser recorder.
//
// One recorder serves the session's recording (the Record tab) and the clinician's dictation (an
// input's Audio tab, marked by data-dictation-recorder): the markup is notes/_recorder.html.
// The recorder sends each MediaRecorder chunk to the server while recording, numbered, one
// at a time and in order. A failed send is retried with backoff and again when the browser
// comes back online; the recording itself goes on meanwhile. Only upload ids are kept in
// localStorage (never audio), so a reloaded page can offer to continue.
(function () {
  "use strict";

  const CHUNK_MS = 3000;
  const MAX_BACKOFF_MS = 30000;
  const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]):not([type="hidden"]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

  // The microphone serves one recorder at a time; the one recording last owns the pill.
  let activeRecorder = null;

  function setLabel(button, text) { (button.querySelector("[data-label]") || button).textContent = text; }

  function mmss(ms) {
    const total = Math.floor(ms / 1000);
    return Math.floor(total / 60) + ":" + String(total % 60).padStart(2, "0");
  }

  // --- Dialog -------------------------------------------------------------------------------

  function setupDialog(dialog) {
    let opener = null;
    document.querySelectorAll('[data-open-dialog="' + dialog.id + '"]').forEach(function (link) {
      link.addEventListener("click", function (event) {
        event.preventDefault();
        opener = link;
        dialog.showModal();
        const first = dialog.querySelector("select, input:not([type=hidden]), button");
        if (first) first.focus();
      });
    });
    dialog.querySelectorAll("[data-close-dialog]").forEach(function (button) {
      button.addEventListener("click", function () { dialog.close(); });
    });
    dialog.addEventListener("close", function () {
      // A recording still going on shows outside the dialog; focus goes there.
      const back = document.querySelector("[data-recording-pill]:not([hidden]) button") || opener;
      if (back) back.focus();
    });
    // Keep Tab inside the dialog: from the last control back to the first and the reverse.
    dialog.addEventListener("keydown", function (event) {
      if (event.key !== "Tab") return;
      const items = Array.from(dialog.querySelectorAll(FOCUSABLE)).filter(function (el) {
        return el.offsetParent !== null;
      });
      if (!items.length) return;
      const first = items[0], last = items[items.length - 1];
      if (event.shiftKey && document.activeElement === first) { event.preventDefault(); last.focus(); }
      else if (!event.shiftKey && document.activeElement === last) { event.preventDefault(); first.focus(); }
    });
    if (location.hash === "#generate" || dialog.querySelector(".form-errors p")) {
      dialog.showModal();
    }
  }

  // --- Tabs ---------------------------------------------------------------------------------

  function panelOf(tab) { return document.getElementById(tab.getAttribute("aria-controls")); }

  // Only the chosen tab's fields are sent; fields the server disabled stay disabled.
  function selectTab(tablist, chosen, focus) {
    tablist.querySelectorAll('[role="tab"]').forEach(function (tab) {
      const on = tab === chosen;
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      const panel = panelOf(tab);
      panel.hidden = !on;
      panel.querySelectorAll("input, select, textarea").forEach(function (field) {
        if (field.dataset.locked !== "1") field.disabled = !on;
      });
    });
    if (focus) chosen.focus();
    tablist.dispatchEvent(new CustomEvent("tabchange", { bubbles: true }));
  }

  function setupTabs(tablist) {
    const tabs = Array.from(tablist.querySelectorAll('[role="tab"]'));
    tabs.forEach(function (tab) {
      panelOf(tab).querySelectorAll("input, select, textarea").forEach(function (field) {
        if (field.disabled) field.dataset.locked = "1";
      });
      tab.addEventListener("click", function () {
        if (tab.getAttribute("aria-disabled") !== "true") selectTab(tablist, tab, false);
      });
      tab.addEventListener("keydown", function (event) {
        const step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
        if (!step) return;
        event.preventDefault();
        const next = tabs[(tabs.indexOf(tab) + step + tabs.length) % tabs.length];
        if (next.getAttribute("aria-disabled") !== "true") selectTab(tablist, next, true);
      });
    });
    selectTab(tablist, tabs.find(function (t) { return t.getAttribute("aria-selected") === "true"; }) || tabs[0], false);
  }

  // --- Inputs: "+" adds a block with Audio and Text tabs ---------------------------------------

  function setupInputs(form, summaryOnly) {
    const list = form.querySelector("[data-inputs-list]");
    const template = form.querySelector("[data-input-template]");
    const addButton = form.querySelector("[data-add-input]");
    let counter = list.children.length;

    function wire(block) {
      setupTabs(block.querySelector("[data-tablist]"));
      setupHandwriting(form, block);
      const dictation = setupDictation(form, block);
      block.querySelector("[data-remove-input]").addEventListener("click", function () {
        if (dictation) dictation.dispose();
        block.remove();
        renumber();
        addButton.focus();
      });
      applySummaryOnly(block, summaryOnly());
    }
    function renumber() {
      list.querySelectorAll(".input-title").forEach(function (title, i) { title.textContent = "Input " + (i + 1); });
    }
    list.querySelectorAll("[data-input-block]").forEach(wire);
    addButton.addEventListener("click", function () {
      counter += 1;
      const html = template.innerHTML.replace(/__n__/g, "x" + counter);
      list.insertAdjacentHTML("beforeend", html);
      const block = list.lastElementChild;
      wire(block);
      renumber();
      block.querySelector('[role="tab"][aria-selected="true"]').focus();
    });
    return {
      list: list,
      // The dictation recorders of the inputs still in the form.
      dictations: function () {
        return Array.from(list.querySelectorAll("[data-input-block]")).map(function (b) { return b.dictation; }).filter(Boolean);
      },
      ensureText: function () {
        if (!list.querySelector("[data-input-block]")) addButton.click();
      },
    };
  }

  // A dictation recorded in the input's Audio tab: the clinician's own voice, so its Dictation box
  // is ticked when recording starts and stays ticked while the recording is attached (the server
  // refuses it otherwise: it cannot become the session's recording).
  function setupDictation(form, block) {
    const root = block.querySelector("[data-dictation-recorder]");
    if (!root) return null;
    const box = block.querySelector("[data-dictation]");
    const help = block.querySelector("#" + box.getAttribute("aria-describedby"));
    const plain = help.textContent;
    let held = false;
    function hold(has) {
      held = has;
      if (has) box.checked = true;
      help.textContent = has ? "This input holds a dictation you recorded here, so it stays marked as your voice only; discard it to attach other audio." : plain;
    }
    box.addEventListener("change", function () { if (held && !box.checked) box.checked = true; });
    root.querySelector("[data-rec-start]").addEventListener("click", function () { box.checked = true; });
    const recorder = Recorder(form, root, { onChange: hold });
    block.dictation = {
      dispose: recorder.dispose,
      finish: recorder.finish,
      isLive: recorder.isLive,
      // Sent with the form only from the Audio tab; a recording on a hidden tab is not sent.
      hasAudio: function () { return !root.closest('[role="tabpanel"]').hidden && recorder.hasAudio(); },
    };
    return block.dictation;
  }

  // A photo or scan of handwritten notes, read on the server into the input's text box for the
  // clinician to correct. The file field has no name: the image never goes with the form.
  function setupHandwriting(form, block) {
    const box = block.querySelector("[data-handwriting]");
    const file = box.querySelector("[data-page-file]");
    const button = box.querySelector("[data-page-read]");
    const status = box.querySelector("[data-page-status]");
    const text = block.querySelector("textarea[name=text_body]");
    const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
    button.addEventListener("click", async function () {
      if (!file.files.length) { status.textContent = "Choose a photo or scan of the page first."; file.focus(); return; }
      const body = new FormData();
      body.append("page", file.files[0]);
      button.disabled = true;
      status.textContent = "Reading the page…";
      try {
        const response = await fetch(form.dataset.handwritingUrl, { method: "POST", body: body, credentials: "same-origin",
                                                                  headers: { "X-CSRFToken": csrf, "Accept": "application/json" } });
        const data = await response.json().catch(function () { return {}; });
        if (!response.ok) throw new Error((data.error && data.error.message) || "The page could not be read; try again.");
        text.value = text.value.trim() ? text.value.trimEnd() + "\n" + data.text : data.text;
        text.rows = Math.min(14, Math.max(text.rows, text.value.split("\n").length + 1));
        file.value = "";
        status.textContent = "Page read and the image deleted. Check and correct the text above before Create.";
        text.focus();
      } catch (error) {
        status.textContent = error instanceof TypeError ? "The connection failed; try again." : error.message;
      }
      button.disabled = false;
    });
  }

  // Summary Only: no session audio, only text inputs and the clinician's own dictations.
  function applySummaryOnly(block, on) {
    if (on) block.querySelector("[data-dictation]").checked = true;
  }

  // --- Recorder -----------------------------------------------------------------------------

  // options.onChange(hasAudio): called whenever what the recorder holds may have changed.
  function Recorder(form, root, options) {
    const opts = options || {};
    const csrf = form.querySelector("[name=csrfmiddlewaretoken]").value;
    const base = form.dataset.uploadBase;
    const dictation = root.hasAttribute("data-dictation-recorder");
    const field = root.dataset.uploadField;
    const noun = root.dataset.noun;
    // Only the session's recording is offered again after a reload; a dictation's input may be gone.
    const storageKey = dictation ? null : "intellisession.uploads." + form.dataset.clientId;
    const el = function (name) { return root.querySelector("[data-rec-" + name + "]"); };
    const ids = root.querySelector("[data-upload-ids]");
    const self = {};
    // Outside the dialog: a recording goes on when the dialog is closed, and this says so.
    const dialog = root.closest("dialog");
    const pill = dialog ? document.querySelector("[data-recording-pill]") : null;
    const canShareCall = !!(navigator.mediaDevices && navigator.mediaDevices.getDisplayMedia);
    const state = { mode: "idle", uploadId: null, seq: 0, queue: [], sending: false, backoff: 1000,
                    sent: 0, elapsed: 0, runningSince: 0, failed: false, waiters: [],
                    stoppedBy: "", unseen: false };
    const meters = { mic: { meter: el("level"), analyser: null }, call: { meter: el("call-level"), analyser: null } };
    let mic = null, call = null, media = null, audioCtx = null, ticker = null, wakeLock = null, locking = false;
    const canRecord = !!(window.MediaRecorder && navigator.mediaDevices);

    function status(text) { el("status").textContent = text; }
    function uploadNote(text) { el("upload").textContent = text; }
    function recordingText() {
      if (dictation) return "Recording your dictation.";
      return audioLive(call) ? "Recording the call and the microphone." : "Recording.";
    }
    function kb(bytes) { return Math.round(bytes / 1024) + " KB"; }
    // How far the server has transcribed the recording while it goes on.
    function transcribedText(progress) {
      if (!progress || progress.stopped || !(progress.transcribed > 0 || progress.catching_up)) return "";
      return " Transcribed " + mmss(progress.transcribed * 1000) + " of " + mmss(progress.recorded * 1000) +
        (progress.catching_up ? ", catching up." : ".");
    }
    function live() { return state.mode === "recording" || state.mode === "paused"; }
    function storedIds() {
      if (!storageKey) return [];
      try { return JSON.parse(localStorage.getItem(storageKey) || "[]"); } catch (e) { return []; }
    }
    function store(list) {
      if (!storageKey) return;
      if (list.length) localStorage.setItem(storageKey, JSON.stringify(list));
      else localStorage.removeItem(storageKey);
    }
    function attachedIds() { return Array.from(ids.querySelectorAll("input")).map(function (i) { return i.value; }); }
    function attach(id) {
      if (attachedIds().indexOf(id) >= 0) return;
      const input = document.createElement("input");
      input.type = "hidden"; input.name = field; input.value = id;
      ids.appendChild(input);
      store(attachedIds());
    }
    function buttons() {
      const busy = live() || state.mode === "stopping" || state.mode === "starting";
      el("start").disabled = busy || !canRecord;
      setLabel(el("start"), attachedIds().length && !live() ? root.dataset.moreLabel : root.dataset.startLabel);
      el("pause").disabled = !live();
      setLabel(el("pause"), state.mode === "paused" ? "Resume" : "Pause");
      el("stop").disabled = !live();
      el("discard").hidden = busy || !attachedIds().length;
      if (el("call")) el("call").disabled = busy;
      if (el("call-meter")) el("call-meter").hidden = !call;
      root.classList.toggle("recording", state.mode === "recording");
      showPill();
      if (opts.onChange) opts.onChange(attachedIds().length > 0 || live());
    }
    function elapsedMs() { return state.elapsed + (state.mode === "recording" ? Date.now() - state.runningSince : 0); }
    function level(analyser) {
      const data = new Float32Array(analyser.fftSize);
      analyser.getFloatTimeDomainData(data);
      let sum = 0;
      for (let i = 0; i < data.length; i += 1) sum += data[i] * data[i];
      return Math.min(1, Math.sqrt(sum / data.length) * 4);
    }
    function tick() {
      el("time").textContent = mmss(elapsedMs());
      Object.values(meters).forEach(function (m) {
        if (m.meter) m.meter.value = m.analyser && state.mode === "recording" ? level(m.analyser) : 0;
      });
      showPill();
    }
    function showPill() {
      // A recorder whose form was replaced, or that another has taken the microphone from, says nothing.
      if (!pill || !root.isConnected || activeRecorder !== self) return;
      if (dialog.open) state.unseen = false;
      const busy = live() || state.mode === "stopping";
      pill.hidden = dialog.open || !(busy || state.unseen);
      pill.classList.toggle("stopped", !busy);
      pill.querySelector("[data-recording-pill-text]").textContent =
        state.mode === "recording" ? noun + " " + mmss(elapsedMs())
        : state.mode === "paused" ? noun + " paused at " + mmss(elapsedMs())
        : state.mode === "stopping" ? "Finishing the upload"
        : "The " + noun.toLowerCase() + " stopped at " + mmss(state.elapsed);
    }
    function returnToRecorder() {
      if (!root.isConnected || activeRecorder !== self) return;
      dialog.showModal();
      // Back on the recorder's own tab, should another have been chosen meanwhile.
      const panel = root.closest('[role="tabpanel"]');
      const tab = panel && panel.hidden ? document.querySelector('[role="tab"][aria-controls="' + panel.id + '"]') : null;
      if (tab) selectTab(tab.closest("[data-tablist]"), tab, false);
      showPill();
      const target = [el("pause"), el("start")].find(function (b) { return !b.disabled; });
      (target || el("stop")).focus();
    }

    // The screen stays on while recording where the browser allows it; the browser drops the
    // lock when the page is hidden, so it is asked for again when the page is shown.
    async function holdScreen() {
      if (!navigator.wakeLock || !live() || document.visibilityState !== "visible") return;
      if (locking || (wakeLock && !wakeLock.released)) return;
      locking = true;
      try {
        wakeLock = await navigator.wakeLock.request("screen");
      } catch (error) {
        wakeLock = null;  // refused (battery saver, policy): the recording goes on regardless
      }
      locking = false;
      if (!live()) releaseScreen();
    }
    function releaseScreen() {
      if (wakeLock) wakeLock.release().catch(function () {});
      wakeLock = null;
    }

    async function post(url, body, headers) {
      return fetch(url, { method: "POST", body: body, credentials: "same-origin",
                          headers: Object.assign({ "X-CSRFToken": csrf, "Accept": "application/json" }, headers || {}) });
    }

    async function openUpload() {
      const body = new FormData();
      body.append("client_id", form.dataset.clientId);
      if (dictation) body.append("dictation", "1");  // the clinician's own voice: no client consent needed
      const response = await post(form.dataset.uploadStart, body);
      const data = await response.json().catch(function () { return {}; });
      if (!response.ok) throw new Error((data.error && data.error.message) || "The recording could not be started.");
      state.uploadId = data.id; state.seq = data.next_seq; state.sent = 0;
      attach(data.id);
    }

    function enqueue(blob) {
      state.queue.push({ seq: state.seq, blob: blob, uploadId: state.uploadId });
      state.seq += 1;
      pump();
    }

    function settle() {
      if (state.queue.length || state.sending) return;
      state.waiters.splice(0).forEach(function (resolve) { resolve(); });
    }

    // Send the oldest part; on success the next; on a network or server error retry later.
    async function pump() {
      if (state.sending || !state.queue.length || state.failed) { settle(); return; }
      state.sending = true;
      const item = state.queue[0];
      let retry = false;
      try {
        const response = await post(base + item.uploadId + "/parts/" + item.seq + "/", item.blob,
                                     { "Content-Type": "application/octet-stream" });
        const data = await response.json().catch(function () { return {}; });
        if (response.ok || (response.status === 409 && data.expected_seq > item.seq)) {
          state.queue.shift();  // stored now, or stored by an earlier attempt whose answer was lost
          state.sent += item.blob.size;
          state.backoff = 1000;
          uploadNote("Uploaded " + kb(state.sent) + " so far." + transcribedText(data.live));
        } else if (response.status >= 500) {
          retry = true;
        } else {
          state.failed = true;
          uploadNote((data.error && data.error.message) || "The recording could not be uploaded.");
        }
      } catch (error) {
        retry = true;
      }
      state.sending = false;
      if (retry) {
        uploadNote("Connection lost. The recording goes on and will upload when the connection is back.");
        setTimeout(pump, state.backoff);
        state.backoff = Math.min(MAX_BACKOFF_MS, state.backoff * 2);
        return;
      }
      pump();
    }

    function drained() {
      return new Promise(function (resolve) { state.waiters.push(resolve); settle(); });
    }

    // Telehealth: the browser asks which tab, window or screen to share; only its sound is used.
    async function shareCall() {
      let shared;
      try {
        shared = await navigator.mediaDevices.getDisplayMedia({ audio: true, video: true, systemAudio: "include", selfBrowserSurface: "exclude" });
      } catch (error) {
        throw new Error(error && error.name === "NotAllowedError"
          ? "Nothing was shared, so recording has not started. Choose Start recording and pick the call's tab or window, or untick \"Also record a video call\"."
          : "This browser could not capture the call's sound. Untick \"Also record a video call\" to record with the microphone only.");
      }
      if (!shared.getAudioTracks().length) {
        shared.getTracks().forEach(function (t) { t.stop(); });
        throw new Error("What you shared has no sound, so recording has not started. Choose Start recording again and turn on \"Share tab audio\" (or \"Share system audio\") when you pick the call.");
      }
      return shared;
    }

    async function openMic() {
      try {
        return await navigator.mediaDevices.getUserMedia({ audio: true });
      } catch (error) {
        throw new Error("The microphone is not available. Allow microphone access, or attach a file instead.");
      }
    }

    function meterFor(source) {
      const analyser = audioCtx.createAnalyser();
      analyser.fftSize = 1024;
      source.connect(analyser);
      return analyser;
    }

    // The stream to record: the microphone, or the call and the microphone mixed into one track.
    function connect() {
      const micSource = audioCtx.createMediaStreamSource(mic);
      meters.mic.analyser = meterFor(micSource);
      if (!call) return mic;
      const mix = audioCtx.createMediaStreamDestination();
      mix.channelCount = 1;
      micSource.connect(mix);
      const callSource = audioCtx.createMediaStreamSource(new MediaStream(call.getAudioTracks()));
      callSource.connect(mix);
      meters.call.analyser = meterFor(callSource);
      return mix.stream;
    }

    function releaseSources() {
      [mic, call].forEach(function (s) { if (s) s.getTracks().forEach(function (t) { t.stop(); }); });
      mic = null; call = null;
      if (audioCtx) audioCtx.close();
      audioCtx = null;
      meters.mic.analyser = null; meters.call.analyser = null;
    }

    function audioLive(stream) {
      return !!stream && stream.getAudioTracks().some(function (t) { return t.readyState === "live"; });
    }

    // A source the browser ended (the microphone unplugged or turned off, "Stop sharing" on the
    // call): recording goes on with the other source, or stops, keeping what was recorded.
    function sourceEnded(which) {
      if (!live()) return;
      if (which === "call" && audioLive(mic)) {
        meters.call.analyser = null;
        status("The call is no longer shared; the microphone is still recording.");
      } else if (which === "microphone" && audioLive(call)) {
        meters.mic.analyser = null;
        status("The browser turned off the microphone; the call is still being recorded.");
      } else {
        state.stoppedBy = which === "call" ? "the call is no longer shared" : "the browser turned off the microphone";
        stop();
      }
    }

    function watchSources() {
      mic.getAudioTracks().forEach(function (track) {
        track.addEventListener("ended", function () { sourceEnded("microphone"); });
        track.addEventListener("mute", function () {
          if (live()) status("The browser has paused the microphone, so nothing is being recorded now. Recording goes on when it is back.");
        });
        track.addEventListener("unmute", function () { if (state.mode === "recording") status(recordingText()); });
      });
      if (call) call.getAudioTracks().forEach(function (track) {
        track.addEventListener("ended", function () { sourceEnded("call"); });
      });
    }

    async function start() {
      if (activeRecorder && activeRecorder !== self && activeRecorder.isLive()) {
        status("Another recording is going on in this form; stop it first.");
        return;
      }
      activeRecorder = self;
      const before = state.mode;
      state.mode = "starting"; state.stoppedBy = "";
      buttons();
      // Made within the click: a context made later may stay suspended (autoplay rules).
      audioCtx = new AudioContext();
      try {
        if (canShareCall && el("call") && el("call").checked) call = await shareCall();
        mic = await openMic();
        await openUpload();
      } catch (error) {
        releaseSources();
        state.mode = before;
        status(error.message);
        buttons();
        return;
      }
      if (audioCtx.state === "suspended") audioCtx.resume();
      const type = MediaRecorder.isTypeSupported("audio/webm;codecs=opus") ? "audio/webm;codecs=opus" : "audio/webm";
      media = new MediaRecorder(connect(), { mimeType: type, audioBitsPerSecond: 48000 });
      media.addEventListener("dataavailable", function (event) { if (event.data && event.data.size) enqueue(event.data); });
      media.addEventListener("error", function () { state.stoppedBy = state.stoppedBy || "the browser reported a recording error"; });
      media.addEventListener("stop", finishStop);
      watchSources();
      media.start(CHUNK_MS);
      state.mode = "recording"; state.runningSince = Date.now();
      ticker = ticker || setInterval(tick, 200);
      status(recordingText());
      buttons();
      holdScreen();
    }

    function pauseOrResume() {
      if (state.mode === "recording") {
        media.pause();
        state.elapsed += Date.now() - state.runningSince;
        state.mode = "paused";
        status("Paused.");
      } else if (state.mode === "paused") {
        media.resume();
        state.runningSince = Date.now();
        state.mode = "recording";
        status(recordingText());
      }
      buttons();
    }

    function stop() {
      if (state.mode === "recording") state.elapsed += Date.now() - state.runningSince;
      state.mode = "stopping";
      status("Stopping…");
      buttons();
      if (media.state !== "inactive") media.stop();
    }

    async function finishStop() {
      if (live()) {
        // The browser stopped the recorder (a page hidden too long, a recording error), not the clinician.
        state.stoppedBy = state.stoppedBy || "the browser stopped it";
        if (state.mode === "recording") state.elapsed += Date.now() - state.runningSince;
        state.mode = "stopping";
        buttons();
      }
      releaseSources();
      releaseScreen();
      status("Finishing the upload…");
      await drained();
      state.mode = "stopped";
      state.unseen = !!state.stoppedBy && !!dialog && !dialog.open;
      tick();
      if (state.failed) {
        status("The " + noun.toLowerCase() + " could not be fully uploaded; discard it and record again, or attach a file.");
      } else {
        status(state.stoppedBy
          ? "The " + noun.toLowerCase() + " stopped at " + mmss(state.elapsed) + ": " + state.stoppedBy + ". What was recorded is kept and uploaded; choose " + root.dataset.moreLabel + " to go on."
          : noun + " stopped: " + mmss(state.elapsed) + " recorded and uploaded." + (dictation ? " It is attached to this input as a dictation." : ""));
        uploadNote("Upload complete (" + kb(state.sent) + ").");
      }
      buttons();
    }

    async function discard() {
      const list = attachedIds();
      for (const id of list) await post(base + id + "/discard/", new FormData());
      ids.innerHTML = "";
      store([]);
      state.elapsed = 0; state.failed = false; state.mode = "idle"; state.uploadId = null; state.stoppedBy = "";
      tick();
      status(noun + " discarded. Ready to record.");
      uploadNote("");
      buttons();
      el("start").focus();
    }

    // After a reload: recordings this browser started for this client and never used.
    async function offerResume() {
      if (!el("resume")) return;
      const pending = [];
      for (const id of storedIds()) {
        if (attachedIds().indexOf(id) >= 0) continue;
        const response = await fetch(base + id + "/", { credentials: "same-origin", headers: { "Accept": "application/json", "X-Background-Poll": "1" } });
        const data = response.ok ? await response.json() : null;
        if (data && data.status === "open" && data.next_seq > 0) pending.push(data);
      }
      store(attachedIds().concat(pending.map(function (d) { return d.id; })));
      if (!pending.length) return;
      const kb = pending.reduce(function (sum, d) { return sum + d.bytes; }, 0) / 1024;
      el("resume-text").textContent = "An unfinished recording of this client was found (" + Math.round(kb) +
        " KB saved before the page closed).";
      el("resume").hidden = false;
      const keep = function () { pending.forEach(function (d) { attach(d.id); }); el("resume").hidden = true; buttons(); };
      el("continue").addEventListener("click", function () { keep(); start(); });
      el("keep").addEventListener("click", function () { keep(); status("The saved recording is attached."); el("start").focus(); });
      el("drop").addEventListener("click", async function () {
        for (const d of pending) await post(base + d.id + "/discard/", new FormData());
        store(attachedIds());
        el("resume").hidden = true;
        status("Saved recording discarded. Ready to record.");
        el("start").focus();
      });
    }

    el("start").addEventListener("click", start);
    el("pause").addEventListener("click", pauseOrResume);
    el("stop").addEventListener("click", stop);
    el("discard").addEventListener("click", discard);
    if (el("call-option")) el("call-option").hidden = !canShareCall;
    if (pill) {
      pill.querySelector("[data-recording-return]").addEventListener("click", returnToRecorder);
      dialog.addEventListener("close", showPill);
    }
    document.addEventListener("visibilitychange", holdScreen);
    window.addEventListener("online", function () { state.backoff = 1000; pump(); });
    window.addEventListener("beforeunload", function (event) {
      if (state.mode === "recording" || state.mode === "paused" || state.queue.length) event.preventDefault();
    });
    if (!canRecord) status("This browser cannot record; attach a file instead.");
    root.hidden = false;  // a dictation's recorder is hidden until its script runs
    store(Array.from(new Set(storedIds().concat(attachedIds()))));
    buttons();
    offerResume();

    return Object.assign(self, {
      isLive: live,
      hasAudio: function () { return attachedIds().length > 0 || live(); },
      // Before the form is sent: stop a running recording and wait for every part to arrive.
      finish: async function () {
        if (live()) stop();
        await drained();
        while (state.mode === "stopping") await new Promise(function (r) { setTimeout(r, 100); });
        return !state.failed;
      },
      forget: function () { store([]); },
      // The input holding a dictation was removed: stop, and delete what was uploaded.
      dispose: async function () {
        if (live()) stop();
        await drained();
        while (state.mode === "stopping") await new Promise(function (r) { setTimeout(r, 100); });
        if (attachedIds().length) await discard();
        if (activeRecorder === self) activeRecorder = null;
      },
    });
  }

  // --- The form -----------------------------------------------------------------------------

  function setupForm(form) {
    const summary = form.querySelector("[data-summary-only]");
    const primary = form.querySelector("[data-audio-primary]");
    const errors = form.querySelector("[data-form-errors]");
    const recorderRoot = primary.querySelector("[data-recorder]");  // the session's; dictations are the inputs'
    let recorder = recorderRoot ? Recorder(form, recorderRoot) : null;
    const summaryOnly = function () { return summary.checked; };
    form.querySelectorAll("[data-audio-primary] [data-tablist]").forEach(setupTabs);
    const inputs = setupInputs(form, summaryOnly);

    function applySummary() {
      const on = summaryOnly();
      primary.hidden = on;
      primary.disabled = on;
      inputs.list.querySelectorAll("[data-input-block]").forEach(function (b) { applySummaryOnly(b, on); });
      if (on) inputs.ensureText();
    }
    summary.addEventListener("change", applySummary);
    applySummary();

    function fail(message) {
      errors.innerHTML = "";
      const p = document.createElement("p");
      p.className = "error";
      p.textContent = message;
      errors.appendChild(p);
      errors.setAttribute("tabindex", "-1");
      errors.focus();
    }
    function chosen(field) { return !field.disabled && field.files.length > 0; }
    function hasFile() {
      return Array.from(form.querySelectorAll("input[type=file][name]:not([form])")).some(chosen);
    }
    function hasText() {
      const typed = Array.from(form.querySelectorAll("textarea[name=text_body]")).some(function (t) {
        return !t.disabled && t.value.trim();
      });
      return typed || Array.from(form.querySelectorAll("[data-input-block]")).some(function (block) {
        const recorded = block.dictation && block.dictation.hasAudio();
        return block.querySelector("[data-dictation]").checked && (recorded || chosen(block.querySelector("input[type=file][name]")));
      });
    }

    // Consent recorded from the Record tab (htmx swaps the audio part): wire the recorder it brought.
    primary.addEventListener("htmx:afterSwap", function () {
      primary.querySelectorAll("[data-tablist]").forEach(setupTabs);
      const root = primary.querySelector("[data-recorder]");
      if (root && !recorder) recorder = Recorder(form, root);
      const focus = primary.querySelector("[data-consent-recorded]") || primary.querySelector(".has-error input, .error");
      if (focus) { focus.setAttribute("tabindex", "-1"); focus.focus(); }
    });
    // A refused consent form comes back with its errors (400): show it in place, not as a failure.
    primary.addEventListener("htmx:beforeSwap", function (event) {
      if (event.detail.xhr.status === 400) { event.detail.shouldSwap = true; event.detail.isError = false; }
    });

    // The server's refusal, shown in the form as it is: each error slot (and the errors above the
    // form) takes the answer's; a refused attached file is shown by its field, on its tab.
    function showRefusal(html) {
      const answer = new DOMParser().parseFromString(html, "text/html");
      const found = answer.querySelector("[data-generate-form]");
      if (!found) return false;
      errors.innerHTML = found.querySelector("[data-form-errors]").innerHTML;
      form.querySelectorAll("[data-error-slot]").forEach(function (slot) {
        const fresh = found.querySelector('[data-error-slot="' + slot.dataset.errorSlot + '"]');
        slot.innerHTML = fresh ? fresh.innerHTML : "";
        slot.closest(".field").classList.toggle("has-error", slot.children.length > 0);
      });
      const fileSlot = form.querySelector('[data-error-slot="audio"]');
      if (fileSlot && fileSlot.children.length) {
        const tab = document.getElementById("gen-tab-attach");
        selectTab(tab.parentElement, tab, false);
        form.querySelector("#gen-audio-file").focus();
      } else {
        errors.setAttribute("tabindex", "-1");
        errors.focus();
      }
      return true;
    }

    async function send() {
      let response = null;
      try {
        response = await fetch(form.action, { method: "POST", body: new FormData(form), credentials: "same-origin",
                                              headers: { "HX-Request": "true" } });
      } catch (error) {
        response = null;
      }
      const next = response && response.headers.get("HX-Redirect");
      if (next) {
        if (recorder) recorder.forget();
        location.assign(next);
        return;
      }
      const type = (response && response.headers.get("Content-Type")) || "";
      const shown = type.indexOf("text/html") >= 0 && showRefusal(await response.text());
      if (!shown) fail("The note could not be created (the connection or the server failed). Nothing was lost; try Create again.");
      const create = form.querySelector("[data-create]");
      create.disabled = false;
      create.textContent = "Create";
    }

    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const recording = recorder && !primary.disabled && form.querySelector("#gen-pane-record:not([hidden])") && recorder.hasAudio();
      if (summaryOnly() && !hasText()) { fail("A summary-only note needs at least one text input or dictation."); return; }
      if (!summaryOnly() && !recording && !hasFile()) {
        fail("Record or attach the session audio, or turn on Summary Only to write from text alone.");
        return;
      }
      const create = form.querySelector("[data-create]");
      create.disabled = true;
      if (recording && !(await recorder.finish())) {
        create.disabled = false;
        fail("The recording could not be fully uploaded. Discard it and record again, or attach a file.");
        return;
      }
      for (const dictation of inputs.dictations()) {
        if ((dictation.hasAudio() || dictation.isLive()) && !(await dictation.finish())) {
          create.disabled = false;
          fail("A dictation could not be fully uploaded. Discard it and record it again, or attach a file.");
          return;
        }
      }
      create.textContent = "Creating…";
      await send();
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-generate-form]").forEach(setupForm);
    const dialog = document.getElementById("generate-dialog");
    if (dialog) setupDialog(dialog);
  });
})();
