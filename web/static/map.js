// The map of a page: markers from the page's JSON (never from collected HTML); tiles from the
// configured server, if it answers. Without tiles the markers still show on a blank background.
document.addEventListener("DOMContentLoaded", function () {
  var holder = document.getElementById("map");
  var data = document.getElementById("markers");
  if (!holder || !data || typeof L === "undefined") { return; }
  var markers = JSON.parse(data.textContent || "[]");
  var map = L.map(holder, {attributionControl: true});
  var tiles = holder.getAttribute("data-tiles");
  if (tiles) {
    L.tileLayer(tiles, {maxZoom: 18, attribution: "&copy; OpenStreetMap"}).addTo(map);
  }
  var points = [];
  markers.forEach(function (m) {
    var marker = L.circleMarker([m.lat, m.lon], {radius: 7, color: m.overdue ? "#c0392b" : "#2c3e50",
                                                   fillOpacity: 0.8}).addTo(map);
    var link = document.createElement("a");
    link.href = "/incidents/" + encodeURIComponent(m.id);
    link.textContent = m.title || m.id;
    marker.bindPopup(link);
    points.push([m.lat, m.lon]);
  });
  if (points.length) { map.fitBounds(points, {maxZoom: 15, padding: [20, 20]}); } else { map.setView([56.3, 44.0], 9); }
});
