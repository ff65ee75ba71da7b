// The tip form's one enhancement: "Använd min position" fills the hidden latitude and
// longitude fields from the browser's geolocation. Without scripts (or without
// geolocation) the address field alone works. Nothing is fetched from anywhere.
(function () {
  "use strict";
  var box = document.getElementById("position");
  var lat = document.getElementById("latitude");
  var lon = document.getElementById("longitude");
  var status = document.getElementById("position-status");
  if (!box || !lat || !lon || !status || !("geolocation" in navigator)) {
    return;
  }
  var use = document.createElement("button");
  use.type = "button";
  use.className = "secondary";
  use.textContent = "Använd min position";
  var clear = document.createElement("button");
  clear.type = "button";
  clear.className = "secondary";
  clear.textContent = "Ta bort positionen";

  function show() {
    var has = lat.value !== "" && lon.value !== "";
    clear.hidden = !has;
    status.textContent = has
      ? "Position tillagd: " + Number(lat.value).toFixed(5) + ", " + Number(lon.value).toFixed(5) + "."
      : "";
  }

  use.addEventListener("click", function () {
    status.textContent = "Hämtar din position …";
    navigator.geolocation.getCurrentPosition(
      function (p) {
        lat.value = p.coords.latitude.toFixed(6);
        lon.value = p.coords.longitude.toFixed(6);
        show();
      },
      function () {
        status.textContent = "Positionen kunde inte hämtas. Skriv platsen i fältet ovan i stället.";
      },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 }
    );
  });
  clear.addEventListener("click", function () {
    lat.value = "";
    lon.value = "";
    show();
    use.focus();
  });

  box.appendChild(use);
  box.appendChild(clear);
  box.hidden = false;
  show();
})();
