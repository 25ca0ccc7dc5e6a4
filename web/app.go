package web

import (
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

// uiDist is the built admin app. The folder holds only .keep until
// web/ui/build.sh has run, so the binary builds without node.
//
//go:embed all:ui/dist
var uiDist embed.FS

func embeddedUI() fs.FS {
	sub, err := fs.Sub(uiDist, "ui/dist")
	if err != nil {
		panic(err) // the path is fixed at compile time
	}
	return sub
}

// serveApp serves the admin app: files as they are, with long cache lives for
// the content-hashed assets, and index.html for every other path so that the
// app's own routes survive a reload.
func (s *Server) serveApp(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
	h.Set("X-Frame-Options", "DENY")
	// Audio URLs in call flows are anywhere: the builder's play button fetches them as media, nothing more.
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; media-src 'self' http: https:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")

	name := strings.TrimPrefix(path.Clean("/"+r.URL.Path), "/")
	if name != "" && !hidden(name) {
		if st, err := fs.Stat(s.ui, name); err == nil && !st.IsDir() {
			if strings.HasPrefix(name, "assets/") {
				h.Set("Cache-Control", "public, max-age=31536000, immutable")
			} else {
				h.Set("Cache-Control", "no-cache")
			}
			http.ServeFileFS(w, r, s.ui, name)
			return
		}
		if strings.HasPrefix(name, "assets/") {
			http.NotFound(w, r) // a missing asset is not a page
			return
		}
	}
	index, err := fs.ReadFile(s.ui, "index.html")
	if errors.Is(err, fs.ErrNotExist) {
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(notBuiltPage))
		return
	}
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	_, _ = w.Write(index)
}

func hidden(name string) bool {
	for _, part := range strings.Split(name, "/") {
		if strings.HasPrefix(part, ".") {
			return true
		}
	}
	return false
}

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>PBX admin app not built</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5">
<h1>The admin app is not built</h1>
<p>This binary was built without the web admin app. The REST API works:
see <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>.</p>
<p>To include the app, build it and then the binary (needs Node.js 20 or later):</p>
<pre style="background:#f3f4f6; padding: 1rem; overflow-x: auto">web/ui/build.sh
go build -o pbx ./cmd/pbx</pre>
</body></html>
`
