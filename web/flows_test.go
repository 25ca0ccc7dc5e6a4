package web

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"pbx/routing"
)

// api sends an authenticated request and checks its status.
func api(t *testing.T, s *Server, method, path, body string, status int) *http.Response {
	t.Helper()
	res := do(t, s, req{method: method, path: path, body: body, bearer: bootstrap})
	wantStatus(t, res, status)
	return res
}

// wantFields checks a 422 body lists exactly fields.
func wantFields(t *testing.T, res *http.Response, fields ...string) {
	t.Helper()
	b := decodeBody[errorBody](t, res)
	var got []string
	for _, f := range b.Errors {
		if f.Message == "" {
			t.Errorf("%s has no message", f.Field)
		}
		got = append(got, f.Field)
	}
	if b.Error != "invalid input" || !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(fields))) {
		t.Fatalf("422 body %+v, want fields %v", b, fields)
	}
}

const webFlow = `{"name":"Support","description":"Main line","numbers":["+15550001111"],
 "states":[{"id":"start","type":"start"},
   {"id":"menu","type":"ivr","prompt":{"text":"Press 1"}},
   {"id":"vm","type":"voicemail","prompt":{"url":"https://example.com/vm.wav"}}],
 "connections":[{"from":"start","outcome":"next","to":"menu"},{"from":"menu","outcome":"1","to":"vm"}]}`

func TestFlowAPI(t *testing.T) {
	s, _ := testServer(t)
	api(t, s, "POST", "/api/v1/numbers", `{"e164":"+15550001111","type":"toll_free","country":"US"}`, http.StatusCreated)

	res := api(t, s, "POST", "/api/v1/flows", webFlow, http.StatusCreated)
	f := decodeBody[routing.Flow](t, res)
	path := "/api/v1/flows/" + itoa(f.ID)
	if res.Header.Get("Location") != path || f.Published != nil || !f.Enabled || !f.UnpublishedChanges {
		t.Fatalf("created %+v at %s", f, res.Header.Get("Location"))
	}

	// Publishing lists every violation and changes nothing.
	broken := strings.Replace(webFlow, `{"from":"start","outcome":"next","to":"menu"},`, `{"from":"menu","outcome":"2","to":"start"},`, 1)
	broken = strings.Replace(broken, `"prompt":{"text":"Press 1"}`, `"prompt":{"text":"Press 1","file_id":2}`, 1)
	wantFields(t, api(t, s, "PUT", path, broken, http.StatusUnprocessableEntity), "connections[0].to", "states[1].prompt")
	incomplete := strings.Replace(webFlow, `"prompt":{"text":"Press 1"}`, `"ring_seconds":0`, 1)
	incomplete = strings.Replace(incomplete, `+15550001111`, `+15550009999`, 1)
	api(t, s, "PUT", path+"/draft", incomplete, http.StatusOK)
	wantFields(t, api(t, s, "POST", path+"/publish", "", http.StatusUnprocessableEntity), "states[1].prompt", "numbers[0]")
	if got := decodeBody[routing.Flow](t, api(t, s, "GET", path, "", http.StatusOK)); got.PublishedVersion != 0 {
		t.Fatalf("a refused publish published: %+v", got)
	}

	api(t, s, "PUT", path, webFlow, http.StatusOK)
	f = decodeBody[routing.Flow](t, api(t, s, "POST", path+"/publish", "", http.StatusOK))
	if f.PublishedVersion != 1 || f.Published == nil || f.UnpublishedChanges || !slices.Equal(f.Numbers, []string{"+15550001111"}) {
		t.Fatalf("published %+v", f)
	}
	draft := decodeBody[routing.Document](t, api(t, s, "GET", path+"/draft", "", http.StatusOK))
	if draft.Name != "Support" || draft.States[2].MaxSeconds != 120 {
		t.Fatalf("draft %+v", draft)
	}
	numbers := decodeBody[struct{ Numbers []routing.Number }](t, api(t, s, "GET", "/api/v1/numbers?flow_id="+itoa(f.ID), "", http.StatusOK))
	if len(numbers.Numbers) != 1 {
		t.Fatalf("numbers of the flow %+v", numbers)
	}

	wantFields(t, api(t, s, "PUT", path+"/enable", `{}`, http.StatusUnprocessableEntity), "enabled")
	if f := decodeBody[routing.Flow](t, api(t, s, "PUT", path+"/enable", `{"enabled":false}`, http.StatusOK)); f.Enabled {
		t.Fatal("still enabled")
	}
	versions := decodeBody[struct{ Versions []routing.FlowVersion }](t, api(t, s, "GET", path+"/versions", "", http.StatusOK))
	if len(versions.Versions) != 1 || versions.Versions[0].Version != 1 {
		t.Fatalf("versions %+v", versions)
	}
	list := decodeBody[struct{ Flows []routing.Flow }](t, api(t, s, "GET", "/api/v1/flows", "", http.StatusOK))
	if len(list.Flows) != 1 {
		t.Fatalf("list %+v", list)
	}

	api(t, s, "DELETE", path, "", http.StatusNoContent)
	api(t, s, "GET", path, "", http.StatusNotFound)
	api(t, s, "POST", path+"/publish", "", http.StatusNotFound)
	api(t, s, "GET", "/api/v1/flows/x", "", http.StatusNotFound)
	numbers = decodeBody[struct{ Numbers []routing.Number }](t, api(t, s, "GET", "/api/v1/numbers?flow_id=none", "", http.StatusOK))
	if len(numbers.Numbers) != 1 {
		t.Fatal("deleting the flow did not unlink its number")
	}
}

func TestFlowAPIRefusesBadDocuments(t *testing.T) {
	s, _ := testServer(t)
	tests := []struct {
		name, body string
		fields     []string
	}{
		{"unknown field", `{"name":"x","colour":"red"}`, []string{"colour"}},
		{"wrong type", `{"name":"x","states":[{"id":"a","type":"transfer_user","user_id":"seven"}]}`, []string{"states.user_id"}},
		{"not json", `{"name":`, []string{"body"}},
		{"foreign option", `{"name":"x","states":[{"id":"s","type":"start","prompt":{"text":"hi"}}]}`, []string{"states[0].prompt"}},
		{"no name, bad number", `{"numbers":["555"]}`, []string{"name", "numbers[0]"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantFields(t, api(t, s, "POST", "/api/v1/flows", tt.body, http.StatusUnprocessableEntity), tt.fields...)
		})
	}
}

func TestNumberAPI(t *testing.T) {
	s := trunkServer(t)
	api(t, s, "POST", "/api/v1/trunks", `{"name":"A","host":"10.0.0.1"}`, http.StatusCreated)
	api(t, s, "POST", "/api/v1/trunks", `{"name":"B","host":"10.0.0.2"}`, http.StatusCreated)
	wantFields(t, api(t, s, "POST", "/api/v1/numbers", `{"e164":"555","type":"local","country":"us"}`, http.StatusUnprocessableEntity),
		"e164", "country", "region")
	wantFields(t, api(t, s, "POST", "/api/v1/numbers", `{"e164":"+15550001111","type":"toll_free","country":"US","trunk_id":3}`, http.StatusUnprocessableEntity),
		"trunk_id")
	wantFields(t, api(t, s, "POST", "/api/v1/numbers", `{"e164":"+15550001111","type":"toll_free","country":"DE"}`, http.StatusUnprocessableEntity),
		"country")
	wantFields(t, api(t, s, "POST", "/api/v1/numbers", `{"e164":"+8821234567","type":"toll_free","country":"US"}`, http.StatusUnprocessableEntity),
		"e164")
	wantFields(t, api(t, s, "POST", "/api/v1/numbers", `{"e164":"+15550001111","type":"toll_free","country":"US","flow_id":"1"}`, http.StatusUnprocessableEntity),
		"flow_id")
	res := api(t, s, "POST", "/api/v1/numbers", `{"e164":"+15550001111","type":"local","country":"US","region":"CA","trunk_id":2}`, http.StatusCreated)
	n := decodeBody[routing.Number](t, res)
	path := "/api/v1/numbers/" + itoa(n.ID)
	if res.Header.Get("Location") != path || n.TrunkID == nil || *n.TrunkID != 2 {
		t.Fatalf("created %+v", n)
	}
	wantFields(t, api(t, s, "PUT", path, `{"flow_id":9}`, http.StatusUnprocessableEntity), "flow_id")
	wantFields(t, api(t, s, "PATCH", path, `{"trunk_id":7}`, http.StatusUnprocessableEntity), "trunk_id")
	wantFields(t, api(t, s, "PATCH", path, `{"country":"CA","e164":"+442071234567"}`, http.StatusUnprocessableEntity), "country")
	n = decodeBody[routing.Number](t, api(t, s, "PATCH", path, `{"trunk_id":null}`, http.StatusOK))
	if n.TrunkID != nil || n.Region != "CA" {
		t.Fatalf("updated %+v", n)
	}
	wantFields(t, api(t, s, "GET", "/api/v1/numbers?type=cheap", "", http.StatusUnprocessableEntity), "type")
	wantFields(t, api(t, s, "GET", "/api/v1/numbers?flow_id=abc", "", http.StatusUnprocessableEntity), "flow_id")
	api(t, s, "DELETE", path, "", http.StatusNoContent)
	api(t, s, "GET", path, "", http.StatusNotFound)
	wantStatus(t, do(t, s, req{method: "GET", path: "/api/v1/numbers"}), http.StatusUnauthorized)
}

func TestOpenAPIDescribesFlowsAndNumbers(t *testing.T) {
	var doc struct {
		Paths map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatal(err)
	}
	for _, route := range []string{
		"get /api/v1/numbers", "post /api/v1/numbers", "get /api/v1/numbers/{id}", "put /api/v1/numbers/{id}",
		"patch /api/v1/numbers/{id}", "delete /api/v1/numbers/{id}",
		"get /api/v1/flows", "post /api/v1/flows", "get /api/v1/flows/{id}", "put /api/v1/flows/{id}",
		"patch /api/v1/flows/{id}", "patch /api/v1/flows/{id}/draft",
		"delete /api/v1/flows/{id}", "get /api/v1/flows/{id}/draft", "put /api/v1/flows/{id}/draft",
		"post /api/v1/flows/{id}/publish", "put /api/v1/flows/{id}/enable", "get /api/v1/flows/{id}/versions",
	} {
		method, path, _ := strings.Cut(route, " ")
		if _, ok := doc.Paths[path][method]; !ok {
			t.Errorf("openapi.json lacks %s", route)
		}
	}
}
