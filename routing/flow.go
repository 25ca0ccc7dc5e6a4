package routing

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"strings"

	"pbx/invalid"
)

// A call flow document is the contract between the admin app's builder, the
// REST API and the call engine: its JSON field names must not change. Options
// may be added freely.

// StateType names what a state does with a call.
type StateType string

// The state types a flow is built from.
const (
	StateStart         StateType = "start"
	StateTransferUser  StateType = "transfer_user"
	StateTransferGroup StateType = "transfer_group"
	StateIVR           StateType = "ivr"
	StateAnnounce      StateType = "announce"
	StateVoicemail     StateType = "voicemail"
)

// Outcomes: the exits a state leaves by. IVR states also leave by the menu
// keys "0" to "9" and "*".
const (
	OutcomeNext        = "next"        // start, announce
	OutcomeTimeout     = "timeout"     // transfers (rang too long), ivr (no key in time), voicemail
	OutcomeUnavailable = "unavailable" // transfers: nobody registered or no member available
	OutcomeBusy        = "busy"        // transfers: everyone busy and the queue full or off
)

// Ring strategies of a transfer_group state.
const (
	RingParallel   = "parallel"
	RingSequential = "sequential"
)

// Defaults filled in where a document leaves an option out (or sends 0).
const (
	DefaultRingSeconds           = 30  // transfer_user, and transfer_group ringing in parallel
	DefaultSequentialRingSeconds = 20  // transfer_group ringing each member in turn
	DefaultVoicemailTimeout      = 10  // seconds of silence before a voicemail takes its timeout exit
	MaxVoicemailSeconds          = 120 // the longest message a caller may leave, and the default
	IVRTimeoutSeconds            = 5   // fixed wait for a key after an IVR prompt ends
)

// Document is a call flow as the builder edits it and the engine runs it: a
// graph of states joined by connections.
type Document struct {
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Numbers     []string     `json:"numbers"`
	States      []State      `json:"states"`
	Connections []Connection `json:"connections"`
}

// State is one step of a flow. Which options apply depends on Type; a
// document that sets an option of another type is refused.
type State struct {
	ID   string    `json:"id"`
	Type StateType `json:"type"`

	// transfer_user; voicemail: the mailbox owner (optional)
	UserID uint `json:"user_id,omitempty"`
	// transfer_group
	GroupID uint   `json:"group_id,omitempty"`
	Ring    string `json:"ring,omitempty"`
	// transfer_user and transfer_group. For sequential ringing RingSeconds
	// is per member.
	RingSeconds int    `json:"ring_seconds,omitempty"`
	Record      bool   `json:"record,omitempty"`
	Queue       *Queue `json:"queue,omitempty"`

	// ivr, announce, voicemail
	Prompt *Prompt `json:"prompt,omitempty"`
	// voicemail
	TimeoutSeconds int `json:"timeout_seconds,omitempty"`
	MaxSeconds     int `json:"max_seconds,omitempty"`

	// Position is where the builder draws the state. It is layout only:
	// calls ignore it, and a draft that differs from the published version
	// only in positions has no changes to publish.
	Position *Position `json:"position,omitempty"`
}

// Position is a point on the builder's canvas, in canvas pixels.
type Position struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// Queue holds callers while the user, or every member of the group, is on
// another call. MaxCalls 0 turns queuing off.
type Queue struct {
	MaxCalls int     `json:"max_calls"`
	Notify   *Prompt `json:"notify,omitempty"`
	Music    *Prompt `json:"music,omitempty"`
	// MusicRepeat is how many times Music plays; 0 plays it until the call
	// leaves the queue.
	MusicRepeat int `json:"music_repeat"`
}

// Prompt is what a caller hears: exactly one of text read aloud, an uploaded
// WAV file, or an audio URL.
type Prompt struct {
	Text   string `json:"text,omitempty"`
	FileID uint   `json:"file_id,omitempty"`
	URL    string `json:"url,omitempty"`
}

// Connection leads a call that leaves state From by Outcome to state To.
type Connection struct {
	From    string `json:"from"`
	Outcome string `json:"outcome"`
	To      string `json:"to"`
}

// State returns the state with id.
func (d *Document) State(id string) (State, bool) {
	for _, s := range d.States {
		if s.ID == id {
			return s, true
		}
	}
	return State{}, false
}

// Start returns the start state.
func (d *Document) Start() (State, bool) {
	for _, s := range d.States {
		if s.Type == StateStart {
			return s, true
		}
	}
	return State{}, false
}

// Next returns the state a call goes to when it leaves from by outcome;
// false means the flow ends there and the call is hung up.
func (d *Document) Next(from, outcome string) (State, bool) {
	for _, c := range d.Connections {
		if c.From == from && c.Outcome == outcome {
			return d.State(c.To)
		}
	}
	return State{}, false
}

// withDefaults returns a copy of d with the options it leaves out filled in,
// so that the engine and the API both see the values a call will use.
func (d Document) withDefaults() Document {
	if d.Numbers == nil {
		d.Numbers = []string{}
	}
	if d.States == nil {
		d.States = []State{}
	}
	if d.Connections == nil {
		d.Connections = []Connection{}
	}
	states := make([]State, len(d.States))
	for i, s := range d.States {
		switch s.Type {
		case StateTransferUser:
			if s.RingSeconds == 0 {
				s.RingSeconds = DefaultRingSeconds
			}
		case StateTransferGroup:
			if s.Ring == "" {
				s.Ring = RingParallel
			}
			if s.RingSeconds == 0 {
				s.RingSeconds = DefaultRingSeconds
				if s.Ring == RingSequential {
					s.RingSeconds = DefaultSequentialRingSeconds
				}
			}
		case StateVoicemail:
			if s.TimeoutSeconds == 0 {
				s.TimeoutSeconds = DefaultVoicemailTimeout
			}
			if s.MaxSeconds == 0 {
				s.MaxSeconds = MaxVoicemailSeconds
			}
		}
		states[i] = s
	}
	d.States = states
	return d
}

// ParseFlow decodes a flow document from JSON. Unknown fields and values of
// the wrong type are refused as an *invalid.Error naming the field; the
// document's content is not checked (see ValidateDraft and ValidateFlow).
func ParseFlow(data []byte) (Document, error) {
	var doc Document
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(&doc)
	if err == nil && dec.More() {
		err = errors.New("trailing data")
	}
	if err == nil {
		return doc, nil
	}
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &typeErr) && typeErr.Field != "":
		return Document{}, invalid.New(typeErr.Field, "must be "+jsonKind(typeErr.Type.Kind()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return Document{}, invalid.New(name, "is not a known field")
	}
	return Document{}, invalid.New("body", "must be a single JSON object holding a flow document")
}

func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Uint, reflect.Uint64, reflect.Uint32:
		return "a positive whole number"
	case reflect.Slice:
		return "an array"
	}
	return "an object"
}
