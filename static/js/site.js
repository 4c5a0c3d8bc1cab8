// Progressive enhancements only: every page works without this script.
"use strict";

// Copy buttons: shown only where the clipboard API exists; the text stays selectable anyway.
function setUpCopyButtons() {
  const status = document.querySelector("[data-copy-status]");
  if (!navigator.clipboard) return;
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.hidden = false;
    button.addEventListener("click", async () => {
      const source = document.querySelector(button.dataset.copy);
      const text = source.value !== undefined ? source.value : source.textContent.trim();
      try {
        await navigator.clipboard.writeText(text);
      } catch {
        return;
      }
      if (status) status.textContent = status.dataset.copiedText;
    });
  }
}

// "Send a new code": disabled while the cooldown runs, with the time left counting down.
function setUpResendCountdown() {
  const form = document.querySelector("form[data-resend-in]");
  if (!form) return;
  const button = form.querySelector("button[type=submit]");
  const waiting = form.querySelector("[data-resend-waiting]");
  const ready = form.querySelector("[data-resend-ready]");
  const countdown = form.querySelector("[data-countdown]");
  const deadline = Date.now() + Number(form.dataset.resendIn) * 1000;

  function tick() {
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    countdown.textContent = `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`;
    button.disabled = left > 0;
    waiting.hidden = left === 0;
    ready.hidden = left > 0;
    // Wake just after the shown number changes, so the count never drifts.
    if (left > 0) setTimeout(tick, ((deadline - Date.now()) % 1000 || 1000) + 10);
  }
  tick();
}

// Forms that wait on the server (the code is "sent" for 1-2 s) say so and cannot be sent twice.
function setUpBusyForms() {
  for (const form of document.querySelectorAll("form[data-busy-label]")) {
    const button = form.querySelector("button[type=submit]");
    const label = button.textContent;
    form.addEventListener("submit", () => {
      // After this task, so the browser has already taken the form's data.
      setTimeout(() => {
        button.disabled = true;
        button.textContent = form.dataset.busyLabel;
      });
    });
    // Coming back with the Back button shows the page as it was left: make it usable again.
    window.addEventListener("pageshow", () => {
      button.disabled = false;
      button.textContent = label;
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  setUpCopyButtons();
  setUpResendCountdown();
  setUpBusyForms();
});
