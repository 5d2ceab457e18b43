// Portico dashboard (issue #14): progressive enhancement only; every page works without it.
// Served from Portico's origin as it is (no build step); the CSP allows no inline script.

/** Copy buttons: `data-copy` names the element whose value (or text) is copied. */
function enableCopyButtons() {
  for (const button of document.querySelectorAll('button[data-copy]')) {
    const target = document.getElementById(button.getAttribute('data-copy') ?? '');
    if (!target) continue;
    const status = document.querySelector('[data-copy-status]');
    button.hidden = false;
    button.addEventListener('click', async () => {
      const text = 'value' in target ? target.value : (target.textContent ?? '');
      let copied = false;
      try {
        await navigator.clipboard.writeText(text);
        copied = true;
      } catch {
        // No clipboard permission (or an insecure context): select it so Ctrl+C / Cmd+C copies it.
        if ('select' in target) target.select();
      }
      if (status) status.textContent = copied ? 'Copied to the clipboard.' : 'Selected: press Ctrl+C (or Cmd+C) to copy.';
    });
  }
}

/** A one-time secret is selected whole when focused, so a keyboard user can copy it at once. */
function selectOnFocus() {
  for (const input of document.querySelectorAll('input[data-select-on-focus]')) {
    input.addEventListener('focus', () => input.select());
  }
}

/** The new-application form: OAuth-only fields are hidden and not sent for an M2M application. */
function applicationForm() {
  const form = document.querySelector('form[data-app-form]');
  if (!form) return;
  const oauth = form.querySelector('[data-oauth-only]');
  const update = () => {
    const kind = form.querySelector('input[name="kind"]:checked');
    const m2m = !kind || kind.value === 'm2m';
    if (oauth) {
      oauth.hidden = m2m;
      oauth.disabled = m2m;
    }
  };
  for (const radio of form.querySelectorAll('input[name="kind"]')) radio.addEventListener('change', update);
  update();
}

/** A refused form: move focus to the summary of what to fix (WCAG 3.3.1). */
function focusErrors() {
  const summary = document.getElementById('form-errors');
  if (summary) summary.focus();
}

enableCopyButtons();
selectOnFocus();
applicationForm();
focusErrors();
