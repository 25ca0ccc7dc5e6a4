package routing

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"pbx/invalid"
	"pbx/refusal"
)

// simFlow has a state of every type.
func simFlow() Document {
	return Document{
		Name: "Support",
		States: []State{
			{ID: "start", Type: StateStart},
			{ID: "menu", Type: StateIVR, Prompt: &Prompt{Text: "Press 1 for sales, 2 for Alice"}},
			{ID: "sales", Type: StateTransferGroup, GroupID: 1, Ring: RingSequential, Record: true, Queue: &Queue{MaxCalls: 3}},
			{ID: "alice", Type: StateTransferUser, UserID: 7},
			{ID: "hello", Type: StateAnnounce, Prompt: &Prompt{FileID: 4}},
			{ID: "vm", Type: StateVoicemail, Prompt: &Prompt{Text: "Leave a message"}},
		},
		Connections: []Connection{
			{From: "start", Outcome: OutcomeNext, To: "menu"},
			{From: "menu", Outcome: "1", To: "sales"},
			{From: "menu", Outcome: "2", To: "alice"},
			{From: "menu", Outcome: OutcomeTimeout, To: "hello"},
			{From: "sales", Outcome: OutcomeTimeout, To: "vm"},
			{From: "alice", Outcome: OutcomeUnavailable, To: "vm"},
		},
	}
}

func TestSimulate(t *testing.T) {
	transfer := []string{EventAnswer, OutcomeTimeout, OutcomeUnavailable, OutcomeBusy}
	tests := []struct {
		name     string
		in       Simulation
		state    string   // where the call is after the step; "" when it ended
		kind     string   // the action there
		events   []string // possible there
		answered bool
		end      *SimEnd // Refused and Cause checked
	}{
		{name: "start", in: Simulation{}, state: "menu", kind: "menu", events: []string{"key:1", "key:2", "timeout"}, answered: true},
		{name: "start by next", in: Simulation{Event: "next"}, state: "menu", kind: "menu", events: []string{"key:1", "key:2", "timeout"}, answered: true},
		{name: "start state named", in: Simulation{State: "start", Event: "next"}, state: "menu", kind: "menu", events: []string{"key:1", "key:2", "timeout"}, answered: true},
		{name: "menu key to a group", in: Simulation{State: "menu", Event: "key:1", Answered: true}, state: "sales", kind: "ring_group", events: transfer, answered: true},
		{name: "menu key to a user", in: Simulation{State: "menu", Event: "key:2", Answered: true}, state: "alice", kind: "ring_user", events: transfer, answered: true},
		{name: "menu timeout", in: Simulation{State: "menu", Event: "timeout", Answered: true}, state: "hello", kind: "announce", events: []string{"next"}, answered: true},
		{name: "announcement with nothing after it", in: Simulation{State: "hello", Event: "next", Answered: true}, answered: true,
			end: &SimEnd{Cause: CauseCompleted}},
		{name: "group timeout to voicemail", in: Simulation{State: "sales", Event: "timeout"}, state: "vm", kind: "voicemail", events: []string{EventMessage, OutcomeTimeout}, answered: true},
		{name: "user unavailable to voicemail", in: Simulation{State: "alice", Event: "unavailable"}, state: "vm", kind: "voicemail", events: []string{EventMessage, OutcomeTimeout}, answered: true},
		{name: "busy, not answered: refused", in: Simulation{State: "sales", Event: "busy"},
			end: &SimEnd{Refused: refusal.Busy, Cause: CauseBusy}},
		{name: "busy after a menu: hung up", in: Simulation{State: "sales", Event: "busy", Answered: true}, answered: true,
			end: &SimEnd{Cause: CauseBusy}},
		{name: "no answer, not answered: refused", in: Simulation{State: "alice", Event: "timeout"},
			end: &SimEnd{Refused: refusal.NoAnswer, Cause: CauseNoAnswer}},
		{name: "unavailable unconnected", in: Simulation{State: "sales", Event: "unavailable"},
			end: &SimEnd{Refused: refusal.Unavailable, Cause: CauseUnavailable}},
		{name: "answered by a user", in: Simulation{State: "alice", Event: "answer"}, end: &SimEnd{}},
		{name: "voicemail left", in: Simulation{State: "vm", Event: "message", Answered: true}, answered: true,
			end: &SimEnd{Cause: CauseVoicemail}},
		{name: "voicemail silence", in: Simulation{State: "vm", Event: "timeout", Answered: true}, answered: true,
			end: &SimEnd{Cause: CauseNoAnswer}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			step, err := Simulate(simFlow(), tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if step.Answered != tt.answered {
				t.Errorf("answered %v, want %v", step.Answered, tt.answered)
			}
			if tt.end != nil {
				if step.End == nil || step.State != nil {
					t.Fatalf("the call goes on in %+v, want it ended %+v", step.State, tt.end)
				}
				if step.End.Refused != tt.end.Refused || step.End.Cause != tt.end.Cause || step.End.SIPCode != 0 {
					t.Errorf("ended %+v, want %+v", *step.End, *tt.end)
				}
				if step.End.Summary == "" || len(step.Events) != 0 {
					t.Errorf("end %+v with events %v", *step.End, step.Events)
				}
				return
			}
			if step.End != nil || step.State == nil || step.State.ID != tt.state {
				t.Fatalf("went to %+v (end %+v), want %s", step.State, step.End, tt.state)
			}
			if step.Action == nil || step.Action.Kind != tt.kind || step.Action.Summary == "" {
				t.Errorf("action %+v, want %s", step.Action, tt.kind)
			}
			if !slices.Equal(step.Events, tt.events) {
				t.Errorf("events %v, want %v", step.Events, tt.events)
			}
			if len(step.Problems) != 0 {
				t.Errorf("problems in a valid flow: %v", step.Problems)
			}
		})
	}
}

// TestSimulateDefaults: the state comes back as a call would use it.
func TestSimulateDefaults(t *testing.T) {
	step, err := Simulate(simFlow(), Simulation{State: "menu", Event: "key:1"})
	if err != nil {
		t.Fatal(err)
	}
	if step.State.RingSeconds != DefaultSequentialRingSeconds {
		t.Errorf("ring_seconds %d, want the sequential default %d", step.State.RingSeconds, DefaultSequentialRingSeconds)
	}
	for _, want := range []string{"one member at a time", "20 s", "recorded", "up to 3 callers wait"} {
		if !strings.Contains(step.Action.Summary, want) {
			t.Errorf("summary %q lacks %q", step.Action.Summary, want)
		}
	}
}

func TestSimulateRefuses(t *testing.T) {
	noStart := simFlow()
	noStart.States = noStart.States[1:]
	dangling := simFlow()
	dangling.Connections = append(dangling.Connections, Connection{From: "alice", Outcome: OutcomeBusy, To: "gone"})
	tests := []struct {
		name  string
		doc   Document
		in    Simulation
		field string
		says  string
	}{
		{"an unconnected key", simFlow(), Simulation{State: "menu", Event: "key:5"}, "event", "possible: key:1, key:2, timeout"},
		{"a key outside a menu", simFlow(), Simulation{State: "alice", Event: "key:1"}, "event", "cannot happen in transfer_user"},
		{"next from a transfer", simFlow(), Simulation{State: "sales", Event: "next"}, "event", "possible: answer, timeout, unavailable, busy"},
		{"a start by timeout", simFlow(), Simulation{Event: "timeout"}, "event", "starts with next"},
		{"no such state", simFlow(), Simulation{State: "nope", Event: "next"}, "state", `"nope"`},
		{"no start state", noStart, Simulation{}, "state", "no start state"},
		{"a connection to no state", dangling, Simulation{State: "alice", Event: "busy"}, "state", `"gone"`},
		{"an unknown type", Document{States: []State{{ID: "start", Type: StateStart}, {ID: "x", Type: "fax"}}}, Simulation{State: "x", Event: "next"}, "state", "cannot go through"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Simulate(tt.doc, tt.in)
			var inv *invalid.Error
			if !errors.As(err, &inv) || len(inv.Fields) != 1 || inv.Fields[0].Field != tt.field || !strings.Contains(inv.Fields[0].Message, tt.says) {
				t.Fatalf("got %v, want %s refused saying %q", err, tt.field, tt.says)
			}
		})
	}
}

// TestSimulateDraft follows a draft that cannot be published yet, and says
// what is missing where the call is.
func TestSimulateDraft(t *testing.T) {
	doc := Document{
		Name: "Half done",
		States: []State{
			{ID: "start", Type: StateStart},
			{ID: "who", Type: StateTransferUser}, // no user yet
			{ID: "menu", Type: StateIVR},         // no prompt, no keys
		},
		Connections: []Connection{{From: "start", Outcome: OutcomeNext, To: "who"}, {From: "who", Outcome: OutcomeTimeout, To: "menu"}},
	}
	if ValidateFlow(doc) == nil {
		t.Fatal("the draft is complete; the test needs one that is not")
	}
	step, err := Simulate(doc, Simulation{})
	if err != nil {
		t.Fatal(err)
	}
	if step.State.ID != "who" || !strings.Contains(step.Action.Summary, "nobody chosen yet") {
		t.Errorf("step %+v action %+v", step.State, step.Action)
	}
	if len(step.Problems) != 1 || step.Problems[0].Field != "states[1].user_id" {
		t.Errorf("problems %v, want states[1].user_id", step.Problems)
	}
	step, err = Simulate(doc, Simulation{State: "who", Event: "timeout"})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(step.Events, []string{"timeout"}) || !strings.Contains(step.Action.Summary, "no prompt yet") {
		t.Errorf("events %v, action %+v", step.Events, step.Action)
	}
	fields := make([]string, len(step.Problems))
	for i, p := range step.Problems {
		fields[i] = p.Field
	}
	if !slices.Equal(fields, []string{"states[2].prompt", "states[2]"}) {
		t.Errorf("problems %v", step.Problems)
	}

	// A start that leads nowhere: the engine's own answer, and why.
	doc.Connections = nil
	step, err = Simulate(doc, Simulation{})
	if err != nil {
		t.Fatal(err)
	}
	if step.End == nil || step.End.Refused != refusal.FlowIncomplete {
		t.Fatalf("end %+v, want refused: flow incomplete", step.End)
	}
	if !slices.ContainsFunc(step.Problems, func(f invalid.Field) bool { return f.Field == "states[0]" }) {
		t.Errorf("problems %v do not say the start leads nowhere", step.Problems)
	}
}

// TestSimulatorAgreesWithEngine runs real calls through a flow whose
// transfer exits lead nowhere and checks that the simulator predicts the
// answer each caller got and the cause each record shows.
func TestSimulatorAgreesWithEngine(t *testing.T) {
	doc := flowOf([]State{user("alice", alice)})
	for _, tt := range []struct {
		event    string
		presence fakePresence
		results  map[uint]error
	}{
		{OutcomeUnavailable, away(everyone(), alice), nil},
		{OutcomeBusy, busy(everyone(), alice), nil},
		{OutcomeTimeout, everyone(), nil},
		{EventAnswer, everyone(), map[uint]error{alice: nil}},
	} {
		t.Run(tt.event, func(t *testing.T) {
			fx := newEngineFixture(t)
			fx.publish(t, doc)
			clk := &clock{t: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			call := &fakeCall{clock: clk, results: tt.results, cancel: cancel, ends: ErrCalleeHungUp}
			e := NewEngine(fx.d, tt.presence, fx.h, slog.New(slog.NewTextHandler(io.Discard, nil)), clk.now)
			e.Run(ctx, call, Inbound{From: "+15551230000", To: engineNumber, TrunkID: 3})
			recs, _, err := fx.h.List(context.Background(), CallFilter{})
			if err != nil || len(recs) != 1 {
				t.Fatalf("%d records (%v)", len(recs), err)
			}

			step, err := Simulate(doc, Simulation{State: "alice", Event: tt.event})
			if err != nil {
				t.Fatal(err)
			}
			if !refusedFor(call.refusals, step.End.Refused) {
				t.Errorf("engine refused %v, simulator says %q", call.refusals, step.End.Refused)
			}
			if answered := step.End.Refused == ""; answered != (recs[0].SIPCode == recordedAnswered) {
				t.Errorf("engine recorded %d, simulator says refused %q", recs[0].SIPCode, step.End.Refused)
			}
			if tt.event == EventAnswer {
				return // the cause depends on who hangs up
			}
			if recs[0].HangupCause != step.End.Cause {
				t.Errorf("engine recorded cause %q, simulator says %q", recs[0].HangupCause, step.End.Cause)
			}
		})
	}
}
