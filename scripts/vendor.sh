#!/usr/bin/env bash
# Copy the front-end packages from node_modules into the app's static files.
# The app serves every asset itself: no CDN, no web fonts from outside.
set -euo pipefail
cd "$(dirname "$0")/.."
N=node_modules
V=src/zhiben/web/static/vendor
mkdir -p "$V"/{bootstrap,htmx,echarts,bootstrap-icons/fonts}
cp "$N"/bootstrap/dist/css/bootstrap.min.css "$N"/bootstrap/dist/js/bootstrap.bundle.min.js "$N"/bootstrap/LICENSE "$V"/bootstrap/
cp "$N"/htmx.org/dist/htmx.min.js "$N"/htmx.org/LICENSE "$V"/htmx/
cp "$N"/echarts/dist/echarts.min.js "$N"/echarts/LICENSE "$V"/echarts/
cp "$N"/bootstrap-icons/font/bootstrap-icons.min.css "$N"/bootstrap-icons/LICENSE "$V"/bootstrap-icons/
cp "$N"/bootstrap-icons/font/fonts/bootstrap-icons.woff2 "$N"/bootstrap-icons/font/fonts/bootstrap-icons.woff "$V"/bootstrap-icons/fonts/
# Source-map comments would make browsers ask for files we do not ship.
sed -i 's#/\*\# sourceMappingURL=.*\*/##' "$V"/bootstrap/bootstrap.min.css
sed -i 's#//\# sourceMappingURL=.*##' "$V"/bootstrap/bootstrap.bundle.min.js
echo "vendored into $V"
