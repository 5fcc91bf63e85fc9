// Typeset the arithmatex spans (pymdownx.arithmatex, generic mode) with the KaTeX served by the
// site itself; Material's document$ fires on every page load, instant navigation included.
document$.subscribe(({ body }) => {
  renderMathInElement(body, {
    delimiters: [
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
    throwOnError: true,
  });
});
