package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"pbx/routing"
)

// TestSimulateFlowAPI walks a caller through a draft over the API: the
// group is named, a key the menu does not connect is refused, and the
// published version is simulated only once there is one.
func TestSimulateFlowAPI(t *testing.T) {
	s, _ := testServer(t)
	g := decodeBody[routing.Group](t, api(t, s, "POST", "/api/v1/groups", `{"name":"Sales"}`, http.StatusCreated))
	flow := `{"name":"Sim","states":[{"id":"start","type":"start"},
	  {"id":"menu","type":"ivr","prompt":{"text":"Press 1 for sales"}},
	  {"id":"sales","type":"transfer_group","group_id":` + itoa(g.ID) + `}],
	 "connections":[{"from":"start","outcome":"next","to":"menu"},{"from":"menu","outcome":"1","to":"sales"}]}`
	f := decodeBody[routing.Flow](t, api(t, s, "POST", "/api/v1/flows", flow, http.StatusCreated))
	path := "/api/v1/flows/" + itoa(f.ID) + "/simulate"

	step := decodeBody[routing.SimStep](t, api(t, s, "POST", path, `{"version":"draft","state":"","event":""}`, http.StatusOK))
	if step.State == nil || step.State.ID != "menu" || !step.Answered || strings.Join(step.Events, " ") != "key:1 timeout" {
		t.Fatalf("start: %+v", step)
	}
	step = decodeBody[routing.SimStep](t, api(t, s, "POST", path, `{"state":"menu","event":"key:1","answered":true}`, http.StatusOK))
	if step.State == nil || step.State.ID != "sales" || step.Action.GroupName != "Sales" || !strings.Contains(step.Action.Summary, "the group Sales") {
		t.Fatalf("key 1: %+v %+v", step.State, step.Action)
	}
	step = decodeBody[routing.SimStep](t, api(t, s, "POST", path, `{"state":"sales","event":"busy","answered":true}`, http.StatusOK))
	if step.End == nil || step.End.SIPCode != 200 || step.End.Cause != routing.CauseBusy || step.State != nil {
		t.Fatalf("busy: %+v", step)
	}

	// Not answered, the busy exit leading nowhere refuses the caller: the
	// API shows the SIP answer a real caller gets, in the same JSON as ever.
	raw := decodeBody[map[string]json.RawMessage](t, api(t, s, "POST", path, `{"state":"sales","event":"busy"}`, http.StatusOK))
	const refused = `{"sip_code":486,"reason":"Busy Here","cause":"busy","summary":"The caller is answered 486 Busy Here and the call ends."}`
	if string(raw["end"]) != refused {
		t.Fatalf("refused end %s, want %s", raw["end"], refused)
	}
	raw = decodeBody[map[string]json.RawMessage](t, api(t, s, "POST", path, `{"state":"sales","event":"answer","answered":true}`, http.StatusOK))
	const answered = `{"sip_code":200,"reason":"","cause":"","summary":"A user answers: the call is connected until either side hangs up."}`
	if string(raw["end"]) != answered {
		t.Fatalf("answered end %s, want %s", raw["end"], answered)
	}

	wantFields(t, api(t, s, "POST", path, `{"state":"menu","event":"key:2"}`, http.StatusUnprocessableEntity), "event")
	wantFields(t, api(t, s, "POST", path, `{"version":"published"}`, http.StatusUnprocessableEntity), "version")
	wantFields(t, api(t, s, "POST", path, `{"version":"tomorrow"}`, http.StatusUnprocessableEntity), "version")
	wantFields(t, api(t, s, "POST", path, `{"state":"menu","event":"key:1","colour":"red"}`, http.StatusUnprocessableEntity), "colour")
	api(t, s, "POST", "/api/v1/flows/999/simulate", `{}`, http.StatusNotFound)

	// Once published, the published version is followed, not the draft.
	api(t, s, "POST", "/api/v1/flows/"+itoa(f.ID)+"/publish", "", http.StatusOK)
	api(t, s, "PATCH", "/api/v1/flows/"+itoa(f.ID), `{"connections":[{"from":"start","outcome":"next","to":"sales"}]}`, http.StatusOK)
	step = decodeBody[routing.SimStep](t, api(t, s, "POST", path, `{"version":"published"}`, http.StatusOK))
	if step.State == nil || step.State.ID != "menu" || step.Version != "published" {
		t.Fatalf("published start: %+v", step)
	}
	step = decodeBody[routing.SimStep](t, api(t, s, "POST", path, `{}`, http.StatusOK))
	if step.State == nil || step.State.ID != "sales" || step.Answered {
		t.Fatalf("draft start: %+v", step)
	}
}
