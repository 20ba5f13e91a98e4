/* Zhiben: small progressive enhancements shared by every page (no inline
   scripts: the CSP allows only 'self').

   Card lists: on a phone a table marked .table-cards shows one card per row
   (zhiben.css); each cell is labelled with its column's header, copied here
   into data-label unless the template set one. Runs again after htmx swaps
   a list in. */
(function () {
  "use strict";

  function labelCells(root) {
    (root || document).querySelectorAll("table.table-cards").forEach(function (table) {
      var headers = [];
      table.querySelectorAll("thead tr:last-child th").forEach(function (th) {
        var span = parseInt(th.getAttribute("colspan") || "1", 10);
        var text = th.textContent.replace(/\s+/g, " ").trim();
        for (var i = 0; i < span; i++) headers.push(text);
      });
      table.querySelectorAll("tbody tr").forEach(function (row) {
        var column = 0;
        Array.prototype.forEach.call(row.children, function (cell) {
          if (!cell.hasAttribute("data-label") && !cell.hasAttribute("colspan") && headers[column]) {
            cell.setAttribute("data-label", headers[column]);
          }
          column += parseInt(cell.getAttribute("colspan") || "1", 10);
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { labelCells(document); });
  document.addEventListener("htmx:afterSwap", function (event) { labelCells(event.target); });
})();
