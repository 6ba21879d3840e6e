/* Files over the upload limit get a message in the upload's caption instead of being
 * dropped in silence.  The limit is the data-max-bytes attribute inside the upload box
 * (awa/pages/cards.py); the server refuses larger bodies too (413). */
(function () {
  "use strict";

  function boxOf(target) {
    for (var el = target; el && el !== document; el = el.parentElement) {
      var mark = el.querySelector ? el.querySelector("[data-max-bytes]") : null;
      if (mark) {
        return { box: el, limit: Number(mark.getAttribute("data-max-bytes")) };
      }
    }
    return null;
  }

  function megabytes(n) {
    return (n / 1e6).toFixed(1) + " MB";
  }

  function check(event, files) {
    var found = boxOf(event.target);
    if (!found || !files || !files.length || !(found.limit > 0)) {
      return;
    }
    var total = 0;
    var names = [];
    for (var i = 0; i < files.length; i++) {
      total += files[i].size;
      names.push(files[i].name + " (" + megabytes(files[i].size) + ")");
    }
    if (total <= found.limit) {
      return;
    }
    event.preventDefault();
    event.stopImmediatePropagation();
    if (event.target && event.target.tagName === "INPUT") {
      event.target.value = "";
    }
    var text = "Not uploaded: " + names.join(", ") + " hold " + megabytes(total) +
      "; one upload takes " + megabytes(found.limit) + " at most. Upload fewer or smaller files.";
    var captionId = found.box.id ? found.box.id + "-caption" : "upload-caption";
    if (window.dash_clientside && window.dash_clientside.set_props) {
      window.dash_clientside.set_props(captionId, { children: text });
    } else {
      window.alert(text);
    }
  }

  window.addEventListener("drop", function (event) {
    check(event, event.dataTransfer && event.dataTransfer.files);
  }, true);
  window.addEventListener("change", function (event) {
    if (event.target && event.target.type === "file") {
      check(event, event.target.files);
    }
  }, true);
}());
