package sip

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strconv"
	"testing"

	"pbx/refusal"
)

// TestRefusalAnswers pins the answer every refusal gets on the wire: these
// are the codes and phrases carriers and phones have always seen, so a
// change here is a change they notice.
func TestRefusalAnswers(t *testing.T) {
	tests := []struct {
		reason refusal.Reason
		code   int
		phrase string
	}{
		{refusal.NoSuchNumber, 404, "No Such Number"},
		{refusal.NoFlow, 480, "No Call Flow"},
		{refusal.FlowDisabled, 480, "Call Flow Disabled"},
		{refusal.FlowNotPublished, 480, "Call Flow Not Published"},
		{refusal.FlowIncomplete, 480, "Call Flow Incomplete"},
		{refusal.Busy, 486, "Busy Here"},
		{refusal.Unavailable, 480, "Temporarily Unavailable"},
		{refusal.NoAnswer, 480, "No Answer"},
		{refusal.VoicemailUnavailable, 480, "Voicemail Unavailable"},
		{refusal.NoSuchExtension, 404, "No Such Extension"},
		{refusal.InsufficientCredit, 402, "Insufficient Credit"},
		{refusal.NoRate, 403, "No Rate For Destination"},
		{refusal.OutboundNotAllowed, 403, "Outbound Calls Not Allowed"},
		{refusal.NoCallerID, 403, "No Caller ID"},
		{refusal.NotDialable, 404, "Not Found"},
		{refusal.TrunkUnavailable, 503, "Service Unavailable"},
		{refusal.Internal, 500, "Server Internal Error"},
		// A Reason the table does not know is our bug: 500.
		{"no such reason", 500, "Server Internal Error"},
		// Not refused: the call was answered.
		{"", 200, ""},
	}
	for _, tt := range tests {
		t.Run(string(tt.reason), func(t *testing.T) {
			code, phrase := FinalStatus(tt.reason)
			if code != tt.code || phrase != tt.phrase {
				t.Errorf("%q answers %d %s, want %d %s", tt.reason, code, phrase, tt.code, tt.phrase)
			}
		})
	}
}

// TestEveryRefusalHasItsAnswer reads the refusal package's source: a Reason
// added there without its line in the table would answer 500 to every
// caller it refuses.
func TestEveryRefusalHasItsAnswer(t *testing.T) {
	f, err := parser.ParseFile(token.NewFileSet(), "../refusal/refusal.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	ast.Inspect(f, func(node ast.Node) bool {
		v, ok := node.(*ast.ValueSpec)
		if !ok || len(v.Values) != 1 {
			return true
		}
		lit, ok := v.Values[0].(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			return true
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			t.Fatal(err)
		}
		n++
		if _, ok := refusals[refusal.Reason(s)]; !ok {
			t.Errorf("refusal.%s (%q) has no answer in the table", v.Names[0].Name, s)
		}
		return true
	})
	if n == 0 || n != len(refusals) {
		t.Errorf("%d refusals declared, %d answers in the table", n, len(refusals))
	}
}
