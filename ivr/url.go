package ivr

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"pbx/media"
)

// wavTypes are the Content-Types an audio URL may answer with. Servers
// label WAV files in all these ways, or not at all (octet-stream).
var wavTypes = []string{"audio/wav", "audio/x-wav", "audio/wave", "audio/vnd.wave", "application/octet-stream"}

// fetch downloads the WAV file at rawURL (http or https) within
// URLTimeout and URLMaxBytes and decodes it. Its errors name the URL
// (without any password in it) and say what went wrong.
func (l *Library) fetch(ctx context.Context, rawURL string) (*media.Clip, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("audio URL %q: must be an http:// or https:// URL", rawURL)
	}
	shown := u.Redacted()
	ctx, cancel := context.WithTimeout(ctx, l.opts.URLTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("audio URL %s: %w", shown, err)
	}
	req.Header.Set("Accept", "audio/wav, audio/*;q=0.5")
	res, err := l.client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("audio URL %s: no answer within %s", shown, l.opts.URLTimeout)
		}
		// A *url.Error repeats the method and the URL, password and all.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("audio URL %s: %w", shown, err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("audio URL %s: the server answered %s", shown, res.Status)
	}
	if ct := res.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !slices.Contains(wavTypes, strings.ToLower(mt)) {
			return nil, fmt.Errorf("audio URL %s: the server sent %q, not a WAV file (audio/wav)", shown, ct)
		}
	}
	limit := l.opts.URLMaxBytes
	if res.ContentLength > limit {
		return nil, fmt.Errorf("audio URL %s: the file is %d bytes, more than the limit of %d", shown, res.ContentLength, limit)
	}
	data, err := io.ReadAll(io.LimitReader(res.Body, limit+1))
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return nil, fmt.Errorf("audio URL %s: not downloaded within %s", shown, l.opts.URLTimeout)
	case err != nil:
		return nil, fmt.Errorf("audio URL %s: %w", shown, err)
	case int64(len(data)) > limit:
		return nil, fmt.Errorf("audio URL %s: the file is larger than the limit of %d bytes", shown, limit)
	}
	clip, _, err := media.DecodeWAV(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("audio URL %s %w", shown, err)
	}
	return clip, nil
}
