package web

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"io"
	"log/slog"
	"maps"
	"math"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"pbx/ivr"
	"pbx/media"
	"pbx/routing"
	"pbx/store"
)

// mediaServer is a test server with the prompt library, wired to the flows
// the way cmd wires it.
func mediaServer(t *testing.T) *Server {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db, err := store.Open(filepath.Join(t.TempDir(), "pbx.db"), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close(db) })
	models := append(append(routing.Models(), ivr.Models()...), Models()...)
	if err := store.Migrate(context.Background(), db, models...); err != nil {
		t.Fatal(err)
	}
	lib := ivr.NewLibrary(db, ivr.Options{InUse: routing.FlowsUsingFile})
	t.Cleanup(lib.Close)
	return NewServer(Config{AdminToken: bootstrap}, db, routing.NewDirectory(db, "pbx"), noRegistrations{},
		prometheus.NewRegistry(), log, WithMedia(lib))
}

// testWAV makes a PCM WAV file of a 440 Hz tone.
func testWAV(rate, channels, bits int, d time.Duration) []byte {
	frames := int(d * time.Duration(rate) / time.Second)
	block := channels * bits / 8
	var b bytes.Buffer
	le := binary.LittleEndian
	h := media.WAVHeader(rate, channels, bits, int64(frames*block))
	b.Write(h[:])
	for i := range frames {
		v := 0.5 * math.Sin(2*math.Pi*440*float64(i)/float64(rate))
		for range channels {
			switch bits {
			case 16:
				binary.Write(&b, le, int16(v*32767))
			case 24:
				s := int32(v * 8388607)
				b.Write([]byte{byte(s), byte(s >> 8), byte(s >> 16)})
			}
		}
	}
	return b.Bytes()
}

// form builds a multipart/form-data body with a file field and fields.
func form(t *testing.T, fileName string, data []byte, fields map[string]string) (string, map[string]string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		w.WriteField(k, v)
	}
	if data != nil {
		fw, err := w.CreateFormFile("file", fileName)
		if err != nil {
			t.Fatal(err)
		}
		fw.Write(data)
	}
	w.Close()
	return b.String(), map[string]string{"Content-Type": w.FormDataContentType()}
}

func upload(t *testing.T, s *Server, path, body string, header map[string]string, status int) *http.Response {
	t.Helper()
	res := do(t, s, req{method: "POST", path: path, body: body, bearer: bootstrap, header: header})
	wantStatus(t, res, status)
	return res
}

func TestMediaUpload(t *testing.T) {
	s := mediaServer(t)
	good := testWAV(16000, 2, 16, 1500*time.Millisecond)

	body, h := form(t, "welcome.wav", good, map[string]string{"name": "Welcome"})
	res := upload(t, s, "/api/v1/media", body, h, http.StatusCreated)
	f := decodeBody[ivr.File](t, res)
	if res.Header.Get("Location") != "/api/v1/media/"+itoa(f.ID) || f.Name != "Welcome" || f.Seconds != 1.5 ||
		f.SampleRate != 16000 || f.Channels != 2 || f.BitDepth != 16 || f.Size != int64(len(good)) {
		t.Fatalf("created %+v at %s", f, res.Header.Get("Location"))
	}
	// The file's own name when the form gives none; a raw body named by ?name=.
	body, h = form(t, "menu.wav", testWAV(8000, 1, 16, time.Second), nil)
	if f := decodeBody[ivr.File](t, upload(t, s, "/api/v1/media", body, h, http.StatusCreated)); f.Name != "menu.wav" {
		t.Fatalf("unnamed form upload is called %q", f.Name)
	}
	raw := upload(t, s, "/api/v1/media?name=Closed", string(testWAV(44100, 1, 16, time.Second)),
		map[string]string{"Content-Type": "audio/wav"}, http.StatusCreated)
	if f := decodeBody[ivr.File](t, raw); f.Name != "Closed" || f.Seconds != 1 || f.SampleRate != 44100 {
		t.Fatalf("raw upload %+v", f)
	}

	list := decodeBody[struct{ Media []ivr.File }](t, api(t, s, "GET", "/api/v1/media", "", http.StatusOK))
	if len(list.Media) != 3 || list.Media[2].Name != "Welcome" {
		t.Fatalf("list %+v", list)
	}
	if got := decodeBody[ivr.File](t, api(t, s, "GET", "/api/v1/media/"+itoa(f.ID), "", http.StatusOK)); got.Name != "Welcome" {
		t.Fatalf("get %+v", got)
	}
	api(t, s, "GET", "/api/v1/media/99", "", http.StatusNotFound)
	wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/media"}), http.StatusUnauthorized)
}

func TestMediaUploadRefusals(t *testing.T) {
	s := mediaServer(t)
	wav24 := testWAV(16000, 1, 24, time.Second)
	mp3 := "ID3\x04\x00\x00\x00\x00\x00\x00" + strings.Repeat("\xff\xfb\x90\x00", 200)
	tests := []struct {
		name   string
		body   string
		header map[string]string
		field  string
		want   string
	}{
		{"24-bit in a form", "", nil, "file", "must be a PCM WAV file (8 to 48 kHz, mono or stereo, 8- or 16-bit): this one is 24-bit"},
		{"mp3 body", mp3, map[string]string{"Content-Type": "audio/mpeg"}, "file", "is an MP3 file, not a WAV file"},
		{"empty body", "", map[string]string{"Content-Type": "audio/wav"}, "file", "is missing"},
		{"form without file", "", nil, "file", "is missing"},
		{"no name", string(testWAV(8000, 1, 16, time.Second)), map[string]string{"Content-Type": "audio/wav"}, "name", "must not be empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body, h := tt.body, tt.header
			switch tt.name {
			case "24-bit in a form":
				body, h = form(t, "hq.wav", wav24, map[string]string{"name": "HQ"})
			case "form without file":
				body, h = form(t, "", nil, map[string]string{"name": "Nothing"})
			}
			path := "/api/v1/media?name=Prompt"
			if tt.field == "name" {
				path = "/api/v1/media"
			}
			res := upload(t, s, path, body, h, http.StatusUnprocessableEntity)
			b := decodeBody[errorBody](t, res)
			if len(b.Errors) != 1 || b.Errors[0].Field != tt.field || !strings.HasPrefix(b.Errors[0].Message, tt.want) {
				t.Fatalf("422 body %+v, want %s: %q", b, tt.field, tt.want)
			}
		})
	}
	big := string(testWAV(48000, 2, 16, 110*time.Second)) // 21 MB
	upload(t, s, "/api/v1/media?name=Big", big, map[string]string{"Content-Type": "audio/wav"}, http.StatusRequestEntityTooLarge)
	body, h := form(t, "big.wav", []byte(big), nil)
	upload(t, s, "/api/v1/media", body, h, http.StatusRequestEntityTooLarge)

	if list := decodeBody[struct{ Media []ivr.File }](t, api(t, s, "GET", "/api/v1/media", "", http.StatusOK)); len(list.Media) != 0 {
		t.Fatalf("refused uploads were kept: %+v", list)
	}
}

func TestMediaAudioAndDelete(t *testing.T) {
	s := mediaServer(t)
	good := testWAV(16000, 1, 16, time.Second)
	f := decodeBody[ivr.File](t, upload(t, s, "/api/v1/media?name=Hello", string(good),
		map[string]string{"Content-Type": "audio/wav"}, http.StatusCreated))
	path := "/api/v1/media/" + itoa(f.ID)

	res := api(t, s, "GET", path+"/audio", "", http.StatusOK)
	got, _ := io.ReadAll(res.Body)
	if !bytes.Equal(got, good) || res.Header.Get("Content-Type") != "audio/wav" ||
		res.Header.Get("Content-Disposition") != `inline; filename=Hello.wav` {
		t.Fatalf("audio: %d bytes (uploaded %d), headers %v", len(got), len(good), res.Header)
	}
	res = do(t, s, req{method: "GET", path: path + "/audio", bearer: bootstrap, header: map[string]string{"Range": "bytes=100-199"}})
	wantStatus(t, res, http.StatusPartialContent)
	got, _ = io.ReadAll(res.Body)
	if !bytes.Equal(got, good[100:200]) || res.Header.Get("Content-Range") != "bytes 100-199/"+itoa(uint(len(good))) {
		t.Fatalf("range: %d bytes, Content-Range %q", len(got), res.Header.Get("Content-Range"))
	}

	// A flow that plays the file keeps it.
	flow := strings.Replace(webFlow, `{"text":"Press 1"}`, `{"file_id":`+itoa(f.ID)+`}`, 1)
	fl := decodeBody[routing.Flow](t, api(t, s, "POST", "/api/v1/flows", flow, http.StatusCreated))
	res = api(t, s, "DELETE", path, "", http.StatusConflict)
	conflict := decodeBody[conflictBody](t, res)
	if !slices.Equal(conflict.Flows, []string{"Support"}) || !strings.Contains(conflict.Error, "Support") {
		t.Fatalf("409 body %+v", conflict)
	}
	api(t, s, "DELETE", "/api/v1/flows/"+itoa(fl.ID), "", http.StatusNoContent)
	api(t, s, "DELETE", path, "", http.StatusNoContent)
	api(t, s, "GET", path, "", http.StatusNotFound)
	api(t, s, "GET", path+"/audio", "", http.StatusNotFound)
	api(t, s, "DELETE", path, "", http.StatusNotFound)
}

func TestOpenAPIDescribesMedia(t *testing.T) {
	var doc struct {
		Paths      map[string]map[string]json.RawMessage
		Components struct {
			Schemas map[string]struct {
				Properties map[string]json.RawMessage
			}
		}
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	for _, route := range []string{"get /api/v1/media", "post /api/v1/media", "get /api/v1/media/{id}",
		"delete /api/v1/media/{id}", "get /api/v1/media/{id}/audio"} {
		method, path, _ := strings.Cut(route, " ")
		if _, ok := doc.Paths[path][method]; !ok {
			t.Errorf("openapi.json lacks %s", route)
		}
	}
	for schema, v := range map[string]any{"MediaFile": ivr.File{}, "InUse": conflictBody{}} {
		b, _ := json.Marshal(v)
		var served map[string]any
		json.Unmarshal(b, &served)
		described := doc.Components.Schemas[schema].Properties
		if !slices.Equal(slices.Sorted(maps.Keys(served)), slices.Sorted(maps.Keys(described))) {
			t.Errorf("%s fields %v, described %v", schema, slices.Sorted(maps.Keys(served)), slices.Sorted(maps.Keys(described)))
		}
	}
}
