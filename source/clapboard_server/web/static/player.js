// The review player: frame-accurate stepping and scrubbing of the version's review video, with the
// current frame number shown. Frames are counted from the component's frameIn at its frameRate.
(function () {
  "use strict";
  var figure = document.querySelector(".player");
  if (!figure) { return; }
  var video = figure.querySelector("video");
  var scrubber = document.getElementById("frame-scrubber");
  var output = document.getElementById("frame-number");
  var toggle = figure.querySelector('[data-player="toggle"]');
  var rate = parseFloat(figure.dataset.frameRate) || 24;
  var frameIn = parseInt(figure.dataset.frameIn, 10) || 0;
  var frameOut = parseInt(figure.dataset.frameOut, 10);

  function lastFrame() {
    if (!isNaN(frameOut) && frameOut > frameIn) { return frameIn + frameOut - 1; }
    return isFinite(video.duration) ? frameIn + Math.max(0, Math.round(video.duration * rate) - 1) : frameIn;
  }

  // The frame shown at a time: times sit in the middle of a frame, so rounding errors cannot
  // land on the neighbour.
  function frameAt(time) { return frameIn + Math.floor(time * rate + 1e-6); }
  function timeOf(frame) { return (frame - frameIn + 0.5) / rate; }

  function show() {
    var frame = Math.min(frameAt(video.currentTime), lastFrame());
    output.textContent = String(frame);
    figure.dataset.frame = String(frame);
    if (document.activeElement !== scrubber) { scrubber.value = String(frame); }
  }

  function seek(frame) {
    frame = Math.max(frameIn, Math.min(lastFrame(), frame));
    video.pause();
    video.currentTime = timeOf(frame);
    output.textContent = String(frame);
  }

  function ready() {
    scrubber.max = String(lastFrame());
    figure.dataset.duration = String(video.duration);
    show();
  }
  video.addEventListener("loadedmetadata", ready);
  if (video.readyState >= 1) { ready(); } // the metadata came before this script ran
  ["timeupdate", "seeked"].forEach(function (name) { video.addEventListener(name, show); });
  video.addEventListener("play", function () { toggle.textContent = "Pause"; tick(); });
  video.addEventListener("pause", function () { toggle.textContent = "Play"; });
  scrubber.addEventListener("input", function () { seek(parseInt(scrubber.value, 10)); });
  toggle.addEventListener("click", function () { if (video.paused) { video.play(); } else { video.pause(); } });
  figure.querySelector('[data-player="previous"]').addEventListener("click", function () {
    seek(frameAt(video.currentTime) - 1);
  });
  figure.querySelector('[data-player="next"]').addEventListener("click", function () {
    seek(frameAt(video.currentTime) + 1);
  });
  video.addEventListener("keydown", function (event) {
    if (event.key === "ArrowLeft" || event.key === "ArrowRight") {
      event.preventDefault();
      seek(frameAt(video.currentTime) + (event.key === "ArrowRight" ? 1 : -1));
    }
  });

  // While playing, show the frame number at the display's rate (timeupdate fires only ~4 times a second).
  function tick() {
    show();
    if (!video.paused && !video.ended) { window.requestAnimationFrame(tick); }
  }
}());
