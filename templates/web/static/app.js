/* 决算公开工作区: the little the pages need (no build step, no library).
   - admin page: poll the running batch job and show its progress; reload when it ends
   - "select all" checkbox
   - upload form: say that the check is running */
(function () {
  "use strict";
  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }
  ready(function () {
    var job = document.getElementById("job");
    if (job && job.getAttribute("data-job-status") === "running") {
      var id = job.getAttribute("data-job-id");
      var names = {running: "进行中", done: "已完成", failed: "失败", interrupted: "已中断"};
      var poll = function () {
        fetch("/api/batch/" + encodeURIComponent(id), {credentials: "same-origin", cache: "no-store"})
          .then(function (r) { if (!r.ok) { throw new Error(r.status); } return r.json(); })
          .then(function (j) {
            var bar = document.getElementById("job-progress");
            if (bar) { bar.max = j.total || 1; bar.value = j.done; }
            var count = document.getElementById("job-count");
            if (count) { count.textContent = j.done + "/" + j.total; }
            var status = document.getElementById("job-status");
            if (status) { status.textContent = names[j.status] || j.status; }
            if (j.status === "running") { setTimeout(poll, 1000); } else { location.replace("/admin?job=" + encodeURIComponent(id)); }
          })
          .catch(function () { setTimeout(poll, 3000); });
      };
      setTimeout(poll, 1000);
    }
    var all = document.getElementById("select-all");
    if (all) {
      all.addEventListener("change", function () {
        var boxes = document.querySelectorAll("input[name=units]");
        for (var i = 0; i < boxes.length; i++) { boxes[i].checked = all.checked; }
      });
    }
    var upload = document.getElementById("upload-form");
    if (upload) {
      upload.addEventListener("submit", function () {
        var b = document.getElementById("upload-submit");
        if (b) { b.disabled = true; b.textContent = "正在上传并检查…"; }
      });
    }
  });
})();
