package routing

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"pbx/invalid"
	"pbx/refusal"
)

// The flow simulator steps a call through a flow without any call, so the
// builder can show where a caller would go. It follows the engine's own
// transitions (Document.leave) and endings, so the two cannot disagree.

// Simulation is one step asked of the simulator.
type Simulation struct {
	// Version is "draft" (the default) or "published".
	Version string `json:"version"`
	// State is the id of the state the call is in; "" starts a call.
	State string `json:"state"`
	// Event is what happens there: next, key:0 to key:9 and key:*,
	// timeout, busy, unavailable, answer (a transfer is picked up) or
	// message (a caller leaves a voicemail). Starting a call takes "" or next.
	Event string `json:"event"`
	// Answered says the PBX answered the call at an earlier state, as the
	// previous step's Answered said: an ending then hangs up rather than
	// sending an error answer.
	Answered bool `json:"answered"`
}

// Simulator events beyond the flow's own outcomes.
const (
	EventAnswer  = "answer"  // transfers: a user picks up and the call is connected
	EventMessage = "message" // voicemail: the caller leaves a message
	keyPrefix    = "key:"
)

// SimStep is where a simulated call went.
type SimStep struct {
	Version string `json:"version"`
	// From is the state the call left; "" when it started.
	From    string `json:"from"`
	Event   string `json:"event"`
	Outcome string `json:"outcome,omitempty"` // the flow exit taken, if any
	// State is the state the call is in now, options as a call uses them
	// (defaults filled in); nil once the call has ended.
	State  *State     `json:"state"`
	Action *SimAction `json:"action"`
	// End is how the call ended; nil while it goes on.
	End *SimEnd `json:"end"`
	// Answered says the PBX has answered the caller by now; send it with
	// the next step.
	Answered bool `json:"answered"`
	// Events are what can happen in State next.
	Events []string `json:"events"`
	// Problems are what keeps this state (or the flow's start) from being
	// published, by field path, as publishing would report them.
	Problems []invalid.Field `json:"problems"`
}

// SimAction is what a state does with the call.
type SimAction struct {
	// Kind is ring_user, ring_group, menu, announce or voicemail.
	Kind      string `json:"kind"`
	Summary   string `json:"summary"`
	UserName  string `json:"user_name,omitempty"`
	GroupName string `json:"group_name,omitempty"`
}

// SimEnd is how a simulated call ends.
type SimEnd struct {
	// Refused says why the caller is refused; empty when the call was
	// answered (by the PBX or a user).
	Refused refusal.Reason `json:"-"`
	// SIPCode is the final answer the caller gets: the answer's status
	// when the call was answered, else the error sent for Refused; Reason
	// is the phrase sent with an error. Routing names no SIP status: they
	// are zero until Answer fills them in from the SIP side's table.
	SIPCode int    `json:"sip_code"`
	Reason  string `json:"reason"`
	Cause   string `json:"cause"` // the hang-up cause the call record shows
	Summary string `json:"summary"`
}

// Answer fills in the final answer the caller gets, code and phrase, as the
// SIP side answers e.Refused; a refusal's summary then names it as the
// caller would see it.
func (e *SimEnd) Answer(code int, phrase string) {
	e.SIPCode, e.Reason = code, phrase
	if e.Refused != "" {
		e.Summary = fmt.Sprintf("The caller is answered %d %s and the call ends.", code, phrase)
	}
}

// Simulate takes one step of a call through doc. It works on a draft that
// is not complete yet wherever a call could still be followed; where it
// cannot (no start state, a state or event that does not exist) it returns
// an *invalid.Error saying why.
func Simulate(doc Document, in Simulation) (SimStep, error) {
	doc = doc.withDefaults()
	step := SimStep{Version: in.Version, From: in.State, Event: in.Event, Answered: in.Answered,
		Events: []string{}, Problems: []invalid.Field{}}
	var from State
	if in.State == "" {
		st, ok := doc.Start()
		if !ok {
			return step, invalid.New("state", "the flow has no start state yet: add one to follow a call")
		}
		if in.Event != "" && in.Event != OutcomeNext {
			return step, invalid.New("event", "a call starts with next (or no event)")
		}
		from, step.Event, step.Answered = st, OutcomeNext, false
		step.From = st.ID
	} else {
		st, ok := doc.State(in.State)
		if !ok {
			return step, invalid.New("state", fmt.Sprintf("no state has the id %q", in.State))
		}
		from = st
	}
	possible, err := events(doc, from)
	if err != nil {
		return step, err
	}
	if !slices.Contains(possible, step.Event) {
		return step, invalid.New("event", fmt.Sprintf("%q cannot happen in %s state %q; possible: %s",
			step.Event, from.Type, from.ID, strings.Join(possible, ", ")))
	}

	switch step.Event {
	case EventAnswer:
		step.End = &SimEnd{Summary: "A user answers: the call is connected until either side hangs up."}
		return step, nil
	case EventMessage:
		step.End = &SimEnd{Cause: CauseVoicemail,
			Summary: "The caller leaves a message; it is kept as voicemail with the call's record."}
		return step, nil
	}
	step.Outcome = strings.TrimPrefix(step.Event, keyPrefix)
	if c, ok := connection(doc, from.ID, step.Outcome); ok {
		if _, exists := doc.State(c.To); !exists {
			return step, invalid.New("state", fmt.Sprintf("state %q leaves by %q to %q, which is not a state of this flow", from.ID, step.Outcome, c.To))
		}
	}
	next, end := doc.leave(from, step.Outcome)
	if end != nil {
		step.End = simEnd(*end, step.Answered)
		if from.Type == StateStart {
			step.Problems = problemsOf(doc, from.ID)
		}
		return step, nil
	}
	step.State = &next
	step.Action = action(next)
	switch next.Type {
	case StateIVR, StateAnnounce, StateVoicemail:
		step.Answered = true // these answer the caller on entry
	}
	if step.Events, err = events(doc, next); err != nil {
		return step, err
	}
	step.Problems = problemsOf(doc, next.ID)
	return step, nil
}

// events lists what can happen to a call in st. IVR keys with no
// connection are left out: the engine ignores them and the menu waits on.
func events(doc Document, st State) ([]string, error) {
	switch st.Type {
	case StateStart, StateAnnounce:
		return []string{OutcomeNext}, nil
	case StateTransferUser, StateTransferGroup:
		return []string{EventAnswer, OutcomeTimeout, OutcomeUnavailable, OutcomeBusy}, nil
	case StateVoicemail:
		return []string{EventMessage, OutcomeTimeout}, nil
	case StateIVR:
		var out []string
		for _, o := range outcomes[StateIVR] {
			if o == OutcomeTimeout {
				continue
			}
			if _, ok := doc.Next(st.ID, o); ok {
				out = append(out, keyPrefix+o)
			}
		}
		return append(out, OutcomeTimeout), nil
	}
	return nil, invalid.New("state", fmt.Sprintf("state %q has the type %q, which a call cannot go through", st.ID, st.Type))
}

func connection(doc Document, from, outcome string) (Connection, bool) {
	for _, c := range doc.Connections {
		if c.From == from && c.Outcome == outcome {
			return c, true
		}
	}
	return Connection{}, false
}

// simEnd describes an ending as the caller and the record see it: once
// answered, the call is hung up, not refused, and recorded as answered
// (see Engine.finish).
func simEnd(e ending, answered bool) *SimEnd {
	if answered || e.answered {
		return &SimEnd{Cause: e.cause, Summary: "The call is hung up (" + e.cause + ")."}
	}
	return &SimEnd{Refused: e.refused, Cause: e.cause,
		Summary: fmt.Sprintf("The caller is refused (%s) and the call ends.", e.refused)}
}

// action says what st does with a call; names are filled in by the caller.
func action(st State) *SimAction {
	switch st.Type {
	case StateTransferUser:
		return &SimAction{Kind: "ring_user", Summary: ringSummary(st, fmt.Sprintf("user %d", st.UserID))}
	case StateTransferGroup:
		return &SimAction{Kind: "ring_group", Summary: ringSummary(st, fmt.Sprintf("group %d", st.GroupID))}
	case StateIVR:
		return &SimAction{Kind: "menu", Summary: fmt.Sprintf("Plays the menu %s and waits for a key (%d s after it ends).", promptSummary(st.Prompt), IVRTimeoutSeconds)}
	case StateAnnounce:
		return &SimAction{Kind: "announce", Summary: "Plays " + promptSummary(st.Prompt) + "."}
	case StateVoicemail:
		return &SimAction{Kind: "voicemail", Summary: fmt.Sprintf("Plays %s and a beep, then records a message of up to %d s; %d s of silence leaves by timeout.",
			promptSummary(st.Prompt), st.MaxSeconds, st.TimeoutSeconds)}
	}
	return nil
}

func ringSummary(st State, who string) string {
	if (st.Type == StateTransferUser && st.UserID == 0) || (st.Type == StateTransferGroup && st.GroupID == 0) {
		who = "nobody chosen yet"
	}
	var b strings.Builder
	switch {
	case st.Type == StateTransferGroup && st.Ring == RingSequential:
		fmt.Fprintf(&b, "Rings %s, one member at a time, %d s each", who, st.RingSeconds)
	case st.Type == StateTransferGroup:
		fmt.Fprintf(&b, "Rings every available member of %s at once for %d s", who, st.RingSeconds)
	default:
		fmt.Fprintf(&b, "Rings %s for %d s", who, st.RingSeconds)
	}
	if st.Record {
		b.WriteString("; the call is recorded")
	}
	if st.Queue != nil && st.Queue.MaxCalls > 0 {
		fmt.Fprintf(&b, "; when everyone is busy, up to %d callers wait in a queue", st.Queue.MaxCalls)
	}
	b.WriteString(".")
	return b.String()
}

func promptSummary(p *Prompt) string {
	switch {
	case p == nil:
		return "no prompt yet"
	case p.Text != "":
		return strconv.Quote(p.Text)
	case p.FileID != 0:
		return fmt.Sprintf("uploaded file %d", p.FileID)
	case p.URL != "":
		return p.URL
	}
	return "no prompt yet"
}

// problemsOf returns what publishing would refuse about the state with id
// and the connections leaving it; for the start state, about the flow as a
// whole too.
func problemsOf(doc Document, id string) []invalid.Field {
	out := []invalid.Field{}
	v := validateFlow(doc, true)
	at := slices.IndexFunc(doc.States, func(s State) bool { return s.ID == id })
	state := fmt.Sprintf("states[%d]", at)
	for _, f := range v.Fields {
		switch {
		case f.Field == state || strings.HasPrefix(f.Field, state+"."):
		case f.Field == "states" && at >= 0 && doc.States[at].Type == StateStart:
		case strings.HasPrefix(f.Field, "connections["):
			var i int
			if _, err := fmt.Sscanf(f.Field, "connections[%d]", &i); err != nil || i >= len(doc.Connections) || doc.Connections[i].From != id {
				continue
			}
		default:
			continue
		}
		out = append(out, f)
	}
	return out
}

// SimulateFlow takes one step of a call through flow id's draft or
// published version, naming the users and groups its states ring.
func (d *Directory) SimulateFlow(ctx context.Context, id uint, in Simulation) (SimStep, error) {
	f, err := d.Flow(ctx, id)
	if err != nil {
		return SimStep{}, err
	}
	doc := f.Draft
	switch in.Version {
	case "", "draft":
		in.Version = "draft"
	case "published":
		if f.Published == nil {
			return SimStep{}, invalid.New("version", "the flow has not been published yet; simulate the draft")
		}
		doc = *f.Published
	default:
		return SimStep{}, invalid.New("version", fmt.Sprintf("%q is not a version; use draft or published", in.Version))
	}
	step, err := Simulate(doc, in)
	if err != nil || step.State == nil {
		return step, err
	}
	st, a := step.State, step.Action
	switch {
	case st.Type == StateTransferUser && st.UserID != 0:
		u, err := d.User(ctx, st.UserID)
		switch {
		case errors.Is(err, ErrNotFound):
			a.Summary += fmt.Sprintf(" User %d no longer exists: a call would leave by unavailable.", st.UserID)
		case err != nil:
			return step, err
		default:
			a.UserName = u.Name
			a.Summary = strings.Replace(a.Summary, fmt.Sprintf("user %d", st.UserID), u.Name, 1)
		}
	case st.Type == StateTransferGroup && st.GroupID != 0:
		g, err := d.Group(ctx, st.GroupID)
		switch {
		case errors.Is(err, ErrNotFound):
			a.Summary += fmt.Sprintf(" Group %d no longer exists: a call would leave by unavailable.", st.GroupID)
		case err != nil:
			return step, err
		default:
			a.GroupName = g.Name
			a.Summary = strings.Replace(a.Summary, fmt.Sprintf("group %d", st.GroupID), "the group "+g.Name, 1)
		}
	}
	return step, nil
}
