package web

import (
	"encoding/json"
	"net/http"
	"testing"

	"pbx/routing"
)

// TestFlowPutNeedsTheWholeDocument: a PUT with only a name emptied the
// draft's states, connections, numbers and description. It now lists what
// is missing and changes nothing.
func TestFlowPutNeedsTheWholeDocument(t *testing.T) {
	s, _ := testServer(t)
	api(t, s, "POST", "/api/v1/numbers", `{"e164":"+15550001111","type":"toll_free","country":"US"}`, http.StatusCreated)
	f := decodeBody[routing.Flow](t, api(t, s, "POST", "/api/v1/flows", webFlow, http.StatusCreated))
	path := "/api/v1/flows/" + itoa(f.ID)
	for _, p := range []string{path, path + "/draft"} {
		wantFields(t, api(t, s, "PUT", p, `{"name":"Renamed"}`, http.StatusUnprocessableEntity),
			"description", "numbers", "states", "connections")
		wantFields(t, api(t, s, "PUT", p, `{"name":"Renamed","colour":"red"}`, http.StatusUnprocessableEntity),
			"description", "numbers", "states", "connections", "colour")
		wantFields(t, api(t, s, "PUT", p, `[1]`, http.StatusUnprocessableEntity), "body")
	}
	got := decodeBody[routing.Flow](t, api(t, s, "GET", path, "", http.StatusOK))
	if got.Name != "Support" || len(got.Draft.States) != 3 || len(got.Draft.Connections) != 2 || got.Draft.Description != "Main line" {
		t.Fatalf("a refused PUT changed the draft: %+v", got.Draft)
	}
}

// TestFlowPatch: PATCH is a JSON merge patch of the draft (RFC 7396).
func TestFlowPatch(t *testing.T) {
	s, _ := testServer(t)
	api(t, s, "POST", "/api/v1/numbers", `{"e164":"+15550001111","type":"toll_free","country":"US"}`, http.StatusCreated)
	f := decodeBody[routing.Flow](t, api(t, s, "POST", "/api/v1/flows", webFlow, http.StatusCreated))
	path := "/api/v1/flows/" + itoa(f.ID)
	patch := func(p, body string, status int) *http.Response {
		t.Helper()
		res := do(t, s, req{method: "PATCH", path: p, body: body, bearer: bootstrap, header: map[string]string{"Content-Type": "application/merge-patch+json"}})
		wantStatus(t, res, status)
		return res
	}

	got := decodeBody[routing.Flow](t, patch(path, `{"name":"Renamed"}`, http.StatusOK))
	if got.Name != "Renamed" || got.Draft.Name != "Renamed" || len(got.Draft.States) != 3 || got.Draft.Description != "Main line" || len(got.Draft.Numbers) != 1 {
		t.Fatalf("after renaming: %+v", got.Draft)
	}
	// null removes a member; arrays are replaced whole.
	got = decodeBody[routing.Flow](t, patch(path+"/draft", `{"description":null,"connections":[{"from":"start","outcome":"next","to":"menu"}]}`, http.StatusOK))
	if got.Draft.Description != "" || len(got.Draft.Connections) != 1 || len(got.Draft.States) != 3 {
		t.Fatalf("after null and an array: %+v", got.Draft)
	}
	// What the merged document breaks is refused by field, and nothing changes.
	wantFields(t, patch(path, `{"name":null,"colour":"red"}`, http.StatusUnprocessableEntity), "colour")
	wantFields(t, patch(path, `{"name":null}`, http.StatusUnprocessableEntity), "name")
	wantFields(t, patch(path, `{"states":"none"}`, http.StatusUnprocessableEntity), "states")
	wantFields(t, patch(path, `nope`, http.StatusUnprocessableEntity), "body")
	res := do(t, s, req{method: "PATCH", path: path, body: `{"name":"x"}`, bearer: bootstrap, header: map[string]string{"Content-Type": "text/plain"}})
	wantStatus(t, res, http.StatusUnsupportedMediaType)
	if res.Header.Get("Accept-Patch") != "application/merge-patch+json" {
		t.Fatalf("415 without Accept-Patch: %v", res.Header)
	}
	patch("/api/v1/flows/99", `{"name":"x"}`, http.StatusNotFound)
	got = decodeBody[routing.Flow](t, api(t, s, "GET", path, "", http.StatusOK))
	if got.Name != "Renamed" || len(got.Draft.Connections) != 1 {
		t.Fatalf("refused patches changed the draft: %+v", got)
	}
}

// TestMergePatch runs cases of RFC 7396's appendix A, written here as
// target, patch and result.
func TestMergePatch(t *testing.T) {
	for _, tt := range []struct{ target, patch, want string }{
		{`{"a":"b"}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"b"}`, `{"b":"c"}`, `{"a":"b","b":"c"}`},
		{`{"a":"b"}`, `{"a":null}`, `{}`},
		{`{"a":"b","b":"c"}`, `{"a":null}`, `{"b":"c"}`},
		{`{"a":["b"]}`, `{"a":"c"}`, `{"a":"c"}`},
		{`{"a":"c"}`, `{"a":["b"]}`, `{"a":["b"]}`},
		{`{"a":{"b":"c"}}`, `{"a":{"b":"d","c":null}}`, `{"a":{"b":"d"}}`},
		{`{"a":[{"b":"c"}]}`, `{"a":[1]}`, `{"a":[1]}`},
		{`{"e":null}`, `{"a":1}`, `{"a":1,"e":null}`},
		{`[1,2]`, `{"a":"b","c":null}`, `{"a":"b"}`},
		{`{}`, `{"a":{"bb":{"ccc":null}}}`, `{"a":{"bb":{}}}`},
	} {
		var target, patch any
		if err := json.Unmarshal([]byte(tt.target), &target); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(tt.patch), &patch); err != nil {
			t.Fatal(err)
		}
		got, _ := json.Marshal(mergePatch(target, patch))
		if string(got) != tt.want {
			t.Errorf("%s patched with %s: %s, want %s", tt.target, tt.patch, got, tt.want)
		}
	}
}
