// Keyboard shortcuts: a key clicks the visible control marked data-key="<key>" (Judge page),
// unless the user is typing in a field. No inline handlers anywhere: the CSP forbids them.
document.addEventListener('keydown', (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey || event.repeat) return;
  const target = event.target;
  if (target instanceof HTMLElement && target.closest('input, textarea, select, [contenteditable]')) return;
  const key = event.key.toLowerCase();
  if (!/^[a-z]$/.test(key)) return;
  const control = document.querySelector(`[data-key="${key}"]`);
  if (!control) return;
  event.preventDefault();
  control.click();
});

// Settings: ticking a model the server lists adds it to the models field; unticking removes it.
document.addEventListener('change', (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || !box.matches('input[data-model-pick]')) return;
  const field = box.form?.querySelector('input[name="models"]');
  if (!field) return;
  const names = field.value.split(/[\s,]+/).filter((name) => name && name !== box.value);
  if (box.checked) names.push(box.value);
  field.value = names.join(', ');
});
