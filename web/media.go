package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"pbx/invalid"
	"pbx/ivr"
)

// MediaFiles is the store of uploaded audio files as the API uses it.
type MediaFiles interface {
	Add(ctx context.Context, name string, data []byte) (ivr.File, error)
	List(ctx context.Context) ([]ivr.File, error)
	Get(ctx context.Context, id uint) (ivr.File, error)
	Audio(ctx context.Context, id uint) (ivr.File, []byte, error)
	Delete(ctx context.Context, id uint) error
}

// WithMedia serves /api/v1/media from m.
func WithMedia(m MediaFiles) Option { return func(s *Server) { s.media = m } }

// mediaFormOverhead is what a multipart upload may hold beside the file:
// the part headers, boundaries and the name field.
const mediaFormOverhead = 64 << 10

// uploadMedia answers POST /api/v1/media: a WAV file sent as the form
// field "file" of a multipart/form-data body (with an optional field
// "name", else the file's name), or as the whole body (any other
// Content-Type, audio/wav for one) named by ?name=. It answers 201 with the
// file's description; 413 for a file over ivr.MaxFileBytes; 422 naming
// the field "file" for anything calls cannot play.
func (s *Server) uploadMedia(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, ivr.MaxFileBytes+mediaFormOverhead)
	name, data, err := readUpload(r)
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig), errors.Is(err, errFileTooBig):
		writeJSON(w, http.StatusRequestEntityTooLarge, errorBody{Error: fmt.Sprintf("the file is larger than %d MiB", ivr.MaxFileBytes>>20)})
		return
	case err != nil:
		writeError(w, s.log, err)
		return
	}
	f, err := s.media.Add(r.Context(), name, data)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/media/"+strconv.FormatUint(uint64(f.ID), 10))
	writeJSON(w, http.StatusCreated, f)
}

var errFileTooBig = errors.New("file too big")

// readUpload returns the name and the bytes of an uploaded file.
func readUpload(r *http.Request) (name string, data []byte, err error) {
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		data, err = readFile(r.Body)
		if err == nil && len(data) == 0 {
			err = invalid.New("file", "is missing: send a WAV file as the body, or as the form field \"file\"")
		}
		return r.URL.Query().Get("name"), data, err
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return "", nil, invalid.New("body", "is not a valid multipart/form-data body")
	}
	var fileName string
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", nil, partError(err)
		}
		switch part.FormName() {
		case "file":
			if data != nil {
				return "", nil, invalid.New("file", "must be sent once")
			}
			fileName = part.FileName()
			if data, err = readFile(part); err != nil {
				return "", nil, err
			}
		case "name":
			b, err := io.ReadAll(io.LimitReader(part, 4096))
			if err != nil {
				return "", nil, partError(err)
			}
			name = string(b)
		}
		part.Close()
	}
	if data == nil {
		return "", nil, invalid.New("file", "is missing: send the WAV file as the form field \"file\"")
	}
	if strings.TrimSpace(name) == "" {
		name = fileName
	}
	return name, data, nil
}

// readFile reads an uploaded file of at most ivr.MaxFileBytes.
func readFile(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, ivr.MaxFileBytes+1))
	if err != nil {
		return nil, partError(err)
	}
	if len(data) > ivr.MaxFileBytes {
		return nil, errFileTooBig
	}
	return data, nil
}

// partError keeps the over-size error for a 413 and makes anything else
// a broken body.
func partError(err error) error {
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return err
	}
	return invalid.New("body", "was cut short or is not valid multipart/form-data")
}

func (s *Server) listMedia(w http.ResponseWriter, r *http.Request) {
	files, err := s.media.List(r.Context())
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"media": files})
}

// streamMedia answers GET /api/v1/media/{id}/audio: the file as it was
// uploaded, with Range support so that a browser's player can seek.
func (s *Server) streamMedia(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	f, data, err := s.media.Audio(r.Context(), id)
	if err != nil {
		writeError(w, s.log, err)
		return
	}
	name := f.Name
	if !strings.HasSuffix(strings.ToLower(name), ".wav") {
		name += ".wav"
	}
	w.Header().Set("Content-Type", "audio/wav")
	w.Header().Set("Content-Disposition", mime.FormatMediaType("inline", map[string]string{"filename": name}))
	w.Header().Set("Cache-Control", "private, no-cache")
	http.ServeContent(w, r, "", f.CreatedAt, bytes.NewReader(data))
}
