package web

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"pbx/routing"
)

// TestDeleteInUseIsRefused: a user, group or trunk that a flow or a number
// uses answers 409 naming them, as media files do, and is deleted once
// nothing uses it. They were deleted silently, leaving flows that ring
// nobody and numbers whose calls go nowhere.
func TestDeleteInUseIsRefused(t *testing.T) {
	s := trunkServer(t)
	user := decodeBody[routing.User](t, api(t, s, "POST", "/api/v1/users", `{"name":"Alice","extension":"1001","sip_password":"secret-pass-1"}`, http.StatusCreated))
	group := decodeBody[routing.Group](t, api(t, s, "POST", "/api/v1/groups", `{"name":"Sales"}`, http.StatusCreated))
	api(t, s, "POST", "/api/v1/trunks", `{"name":"Carrier","host":"10.0.0.1"}`, http.StatusCreated)
	number := decodeBody[routing.Number](t, api(t, s, "POST", "/api/v1/numbers", `{"e164":"+15550001111","type":"toll_free","country":"US","trunk_id":1}`, http.StatusCreated))
	doc := func(name, states, conns string) string {
		return `{"name":"` + name + `","description":"","numbers":[],"states":[{"id":"start","type":"start"},` + states + `],"connections":[` + conns + `]}`
	}
	both := doc("Support", `{"id":"alice","type":"transfer_user","user_id":`+itoa(user.ID)+`},{"id":"sales","type":"transfer_group","group_id":`+itoa(group.ID)+`}`,
		`{"from":"start","outcome":"next","to":"alice"},{"from":"alice","outcome":"timeout","to":"sales"}`)
	flow := decodeBody[routing.Flow](t, api(t, s, "POST", "/api/v1/flows", both, http.StatusCreated))
	api(t, s, "POST", "/api/v1/flows/"+itoa(flow.ID)+"/publish", "", http.StatusOK)
	// The draft drops them; the published version still rings them.
	api(t, s, "PUT", "/api/v1/flows/"+itoa(flow.ID), doc("Support", `{"id":"bye","type":"announce","prompt":{"text":"Bye"}}`, `{"from":"start","outcome":"next","to":"bye"}`), http.StatusOK)
	api(t, s, "POST", "/api/v1/flows", doc("Night", `{"id":"alice","type":"transfer_user","user_id":`+itoa(user.ID)+`}`, `{"from":"start","outcome":"next","to":"alice"}`), http.StatusCreated)

	for _, tc := range []struct {
		path           string
		flows, numbers []string
	}{
		{"/api/v1/users/" + itoa(user.ID), []string{"Night", "Support"}, []string{}},
		{"/api/v1/groups/" + itoa(group.ID), []string{"Support"}, []string{}},
		{"/api/v1/trunks/1", []string{}, []string{"+15550001111"}},
	} {
		t.Run(tc.path, func(t *testing.T) {
			c := decodeBody[conflictBody](t, api(t, s, "DELETE", tc.path, "", http.StatusConflict))
			if !slices.Equal(c.Flows, tc.flows) || !slices.Equal(c.Numbers, tc.numbers) || !strings.Contains(c.Error, "is used by") {
				t.Fatalf("409 body %+v, want flows %v numbers %v", c, tc.flows, tc.numbers)
			}
			api(t, s, "GET", tc.path, "", http.StatusOK)
		})
	}

	api(t, s, "DELETE", "/api/v1/flows/"+itoa(flow.ID), "", http.StatusNoContent)
	api(t, s, "DELETE", "/api/v1/groups/"+itoa(group.ID), "", http.StatusNoContent)
	c := decodeBody[conflictBody](t, api(t, s, "DELETE", "/api/v1/users/"+itoa(user.ID), "", http.StatusConflict))
	if !slices.Equal(c.Flows, []string{"Night"}) {
		t.Fatalf("409 body %+v", c)
	}
	api(t, s, "DELETE", "/api/v1/flows/2", "", http.StatusNoContent)
	api(t, s, "DELETE", "/api/v1/users/"+itoa(user.ID), "", http.StatusNoContent)
	api(t, s, "PATCH", "/api/v1/numbers/"+itoa(number.ID), `{"trunk_id":null}`, http.StatusOK)
	api(t, s, "DELETE", "/api/v1/trunks/1", "", http.StatusNoContent)
	api(t, s, "DELETE", "/api/v1/users/"+itoa(user.ID), "", http.StatusNotFound)
}
