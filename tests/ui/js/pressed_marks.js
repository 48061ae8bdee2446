(buttons) => buttons.map((b) => {
  const style = getComputedStyle(b);
  return {name: b.textContent, pressed: b.getAttribute('aria-pressed'),
          mark: getComputedStyle(b, '::before').content,
          outline: `${style.outlineStyle} ${style.outlineWidth}`, border: style.borderTopWidth};
})
