package routing

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"pbx/invalid"
)

// designFlow is the example document of DESIGN.md, which must stay valid.
const designFlow = `{"name": "Support line", "description": "Main number", "numbers": ["+15550001111"],
 "states": [
   {"id": "start", "type": "start"},
   {"id": "menu", "type": "ivr", "prompt": {"text": "Press 1 for sales, 2 for support"}},
   {"id": "sales", "type": "transfer_group", "group_id": 1, "ring": "sequential",
    "ring_seconds": 20, "record": true,
    "queue": {"max_calls": 5, "notify": {"file_id": 3}, "music": {"url": "http://example.com/hold.wav"},
              "music_repeat": 3}},
   {"id": "alice", "type": "transfer_user", "user_id": 7, "ring_seconds": 30},
   {"id": "hello", "type": "announce", "prompt": {"file_id": 4}},
   {"id": "vm", "type": "voicemail", "prompt": {"text": "Leave a message"},
    "timeout_seconds": 10}],
 "connections": [
   {"from": "start", "outcome": "next", "to": "menu"},
   {"from": "menu", "outcome": "1", "to": "sales"},
   {"from": "menu", "outcome": "2", "to": "alice"},
   {"from": "sales", "outcome": "timeout", "to": "vm"}]}`

func designDoc(t testing.TB) Document {
	t.Helper()
	doc, err := ParseFlow([]byte(designFlow))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// violations returns field -> message of an *invalid.Error.
func violations(t *testing.T, err error) map[string]string {
	t.Helper()
	if err == nil {
		return nil
	}
	var inv *invalid.Error
	if !errors.As(err, &inv) {
		t.Fatalf("not an *invalid.Error: %v", err)
	}
	out := make(map[string]string, len(inv.Fields))
	for _, f := range inv.Fields {
		if _, dup := out[f.Field]; dup {
			t.Fatalf("field %s reported twice in %v", f.Field, err)
		}
		out[f.Field] = f.Message
	}
	return out
}

func TestDesignFlowIsValid(t *testing.T) {
	if err := ValidateFlow(designDoc(t)); err != nil {
		t.Fatal(err)
	}
}

func TestValidateFlow(t *testing.T) {
	conn := func(from, outcome, to string) Connection { return Connection{From: from, Outcome: outcome, To: to} }
	text := func(s string) *Prompt { return &Prompt{Text: s} }
	// chain returns a flow start -> s1 -> s2 ... of announce states joined by next.
	chain := func(n int) Document {
		d := Document{Name: "chain", States: []State{{ID: "start", Type: StateStart}}}
		prev := "start"
		for i := range n {
			id := fmt.Sprintf("s%d", i)
			d.States = append(d.States, State{ID: id, Type: StateAnnounce, Prompt: text("hi")})
			d.Connections = append(d.Connections, conn(prev, "next", id))
			prev = id
		}
		return d
	}
	tests := []struct {
		name string
		edit func(d *Document)
		want map[string]string // field -> part of the message
		// incomplete lists the fields of want that only say the flow is
		// unfinished, which a draft may be.
		incomplete []string
	}{
		{name: "name missing", edit: func(d *Document) { d.Name = " " },
			want: map[string]string{"name": "must not be empty"}},
		{name: "description too long", edit: func(d *Document) { d.Description = strings.Repeat("x", 501) },
			want: map[string]string{"description": "at most 500"}},
		{name: "number not E.164", edit: func(d *Document) { d.Numbers = []string{"+15550001111", "5550002222"} },
			want: map[string]string{"numbers[1]": "E.164"}},
		{name: "number twice", edit: func(d *Document) { d.Numbers = []string{"+15550001111", "+15550001111"} },
			want: map[string]string{"numbers[1]": "already listed at numbers[0]"}},
		{name: "no start", edit: func(d *Document) {
			d.States = d.States[1:]
			d.Connections = d.Connections[1:]
		}, want: map[string]string{"states": "start"}, incomplete: []string{"*"}},
		{name: "two starts", edit: func(d *Document) {
			d.States = append(d.States, State{ID: "start2", Type: StateStart})
		}, want: map[string]string{"states[6].type": "one start state"}},
		{name: "start connects nowhere", edit: func(d *Document) { d.Connections = d.Connections[1:] },
			want: map[string]string{"states[0]": "must connect"}, incomplete: []string{"*"}},
		{name: "start connects twice", edit: func(d *Document) {
			d.Connections = append(d.Connections, conn("start", "next", "hello"))
		}, want: map[string]string{"connections[4].outcome": `already leaves by "next" in connections[0]`}},
		{name: "start exit is not next", edit: func(d *Document) { d.Connections[0].Outcome = "timeout" },
			want: map[string]string{"connections[0].outcome": "use next", "states[0]": "must connect"}, incomplete: []string{"states[0]"}},
		{name: "connection into start", edit: func(d *Document) {
			d.Connections = append(d.Connections, conn("hello", "next", "start"))
		}, want: map[string]string{"connections[4].to": "start state"}},
		{name: "unknown from and to", edit: func(d *Document) {
			d.Connections = append(d.Connections, conn("nobody", "next", "nowhere"))
		}, want: map[string]string{"connections[4].from": `"nobody"`, "connections[4].to": `"nowhere"`}},
		{name: "empty connection", edit: func(d *Document) { d.Connections = append(d.Connections, Connection{}) },
			want: map[string]string{"connections[4].from": "required", "connections[4].to": "required"}},
		{name: "outcome missing", edit: func(d *Document) { d.Connections = append(d.Connections, conn("hello", "", "vm")) },
			want: map[string]string{"connections[4].outcome": "required"}},
		{name: "transfer exit not allowed", edit: func(d *Document) {
			d.Connections = append(d.Connections, conn("alice", "next", "vm"))
		}, want: map[string]string{"connections[4].outcome": "use timeout, unavailable or busy"}},
		{name: "transfer exits each once", edit: func(d *Document) {
			d.Connections = append(d.Connections, conn("alice", "busy", "vm"), conn("alice", "unavailable", "vm"),
				conn("alice", "timeout", "hello"), conn("alice", "busy", "hello"))
		}, want: map[string]string{"connections[7].outcome": `already leaves by "busy" in connections[4]`}},
		{name: "ivr key not allowed", edit: func(d *Document) {
			d.Connections = append(d.Connections, conn("menu", "#", "vm"))
		}, want: map[string]string{"connections[4].outcome": `"#" is not an exit of a ivr state`}},
		{name: "ivr all eleven keys and a timeout", edit: func(d *Document) {
			d.Connections = d.Connections[:1]
			for i, k := range []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "timeout"} {
				id := fmt.Sprintf("a%d", i)
				d.States = append(d.States, State{ID: id, Type: StateAnnounce, Prompt: text("x")})
				d.Connections = append(d.Connections, conn("menu", k, id))
			}
		}},
		{name: "ivr key twice", edit: func(d *Document) {
			d.Connections = append(d.Connections, conn("menu", "1", "hello"))
		}, want: map[string]string{"connections[4].outcome": `already leaves by "1"`}},
		{name: "ivr without keys", edit: func(d *Document) {
			d.Connections = []Connection{conn("start", "next", "menu"), conn("menu", "timeout", "vm")}
		}, want: map[string]string{"states[1]": "at least one menu key"}, incomplete: []string{"*"}},
		{name: "voicemail leaves by timeout only", edit: func(d *Document) {
			d.Connections = append(d.Connections, conn("vm", "next", "hello"), conn("vm", "timeout", "hello"), conn("vm", "timeout", "alice"))
		}, want: map[string]string{"connections[4].outcome": "use timeout", "connections[6].outcome": "already leaves"}},
		{name: "announce next at most once", edit: func(d *Document) {
			d.Connections = append(d.Connections, conn("hello", "next", "vm"), conn("hello", "next", "alice"))
		}, want: map[string]string{"connections[5].outcome": "already leaves"}},
		{name: "eleven incoming", edit: func(d *Document) {
			*d = chain(0)
			d.States = append(d.States, State{ID: "menu", Type: StateIVR, Prompt: text("x")}, State{ID: "vm", Type: StateVoicemail, Prompt: text("x")})
			d.Connections = []Connection{conn("start", "next", "menu")}
			for _, k := range []string{"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*"} {
				d.Connections = append(d.Connections, conn("menu", k, "vm"))
			}
		}, want: map[string]string{"connections[11].to": "already has 10 incoming"}},
		{name: "self loop", edit: func(d *Document) {
			d.Connections = append(d.Connections, conn("hello", "next", "hello"))
		}, want: map[string]string{"connections[4].to": "cycle hello → hello"}},
		{name: "long cycle", edit: func(d *Document) {
			*d = chain(4)
			d.Connections = append(d.Connections, conn("s3", "next", "s1"))
		}, want: map[string]string{"connections[4].to": "cycle s1 → s2 → s3 → s1"}},
		{name: "cycle through transfer exits", edit: func(d *Document) {
			d.Connections = append(d.Connections, conn("vm", "timeout", "menu"))
		}, want: map[string]string{"connections[4].to": "cycle menu → sales → vm → menu"}},
		{name: "diamond is no cycle", edit: func(d *Document) {
			d.Connections = append(d.Connections, conn("alice", "timeout", "vm"), conn("hello", "next", "vm"))
		}},
		{name: "state id missing and bad", edit: func(d *Document) {
			d.States[4].ID = ""
			d.States[5].ID = "Voice Mail"
			d.Connections = d.Connections[:3]
		}, want: map[string]string{"states[4].id": "required", "states[5].id": "lowercase"}},
		{name: "state id too long", edit: func(d *Document) { d.States[4].ID = strings.Repeat("a", 41) },
			want: map[string]string{"states[4].id": "1 to 40"}},
		{name: "state id twice", edit: func(d *Document) { d.States[4].ID = "alice" },
			want: map[string]string{"states[4].id": `"alice" is already the id of states[3]`}},
		{name: "type unknown and missing", edit: func(d *Document) {
			d.States[4].Type = "dance"
			d.States[5].Type = ""
			d.Connections = d.Connections[:3]
		}, want: map[string]string{"states[4].type": `"dance" is not a state type`, "states[5].type": "required"}},
		{name: "foreign options", edit: func(d *Document) {
			d.States[1].UserID = 3
			d.States[1].RingSeconds = 20
			d.States[4].Queue = &Queue{}
			d.States[0].Prompt = text("hi")
			d.States[3].Ring = RingParallel
		}, want: map[string]string{"states[1].user_id": "not an option of a ivr state", "states[1].ring_seconds": "not an option",
			"states[4].queue": "not an option", "states[0].prompt": "not an option", "states[3].ring": "not an option"}},
		{name: "transfer options out of bounds", edit: func(d *Document) {
			d.States[2].Ring = "random"
			d.States[2].RingSeconds = 4
			d.States[2].Queue = &Queue{MaxCalls: 101, MusicRepeat: -1, Notify: &Prompt{}, Music: &Prompt{URL: "ftp://x/y.wav"}}
			d.States[3].RingSeconds = 301
		}, want: map[string]string{"states[2].ring": "parallel or sequential", "states[2].ring_seconds": "5 to 300",
			"states[2].queue.max_calls": "0 (no queue) to 100", "states[2].queue.music_repeat": "to 100",
			"states[2].queue.notify": "exactly one", "states[2].queue.music.url": "http", "states[3].ring_seconds": "5 to 300"}},
		{name: "required options missing", edit: func(d *Document) {
			d.States[1].Prompt = nil
			d.States[2].GroupID = 0
			d.States[3].UserID = 0
			d.States[4].Prompt = nil
			d.States[5].Prompt = nil
		}, want: map[string]string{"states[1].prompt": "required", "states[2].group_id": "required",
			"states[3].user_id": "required", "states[4].prompt": "required", "states[5].prompt": "required"}, incomplete: []string{"*"}},
		{name: "prompts", edit: func(d *Document) {
			d.States[1].Prompt = &Prompt{Text: "a", FileID: 2}
			d.States[4].Prompt = text(strings.Repeat("é", 1001))
			d.States[5].Prompt = text("  ")
		}, want: map[string]string{"states[1].prompt": "exactly one", "states[4].prompt.text": "at most 1000",
			"states[5].prompt.text": "blank"}},
		{name: "prompt text with control characters", edit: func(d *Document) { d.States[4].Prompt = text("a\x00b") },
			want: map[string]string{"states[4].prompt.text": "control"}},
		{name: "prompt url without host", edit: func(d *Document) { d.States[4].Prompt = &Prompt{URL: "https:///a.wav"} },
			want: map[string]string{"states[4].prompt.url": "http"}},
		{name: "voicemail bounds", edit: func(d *Document) {
			d.States[5].TimeoutSeconds = 61
			d.States[5].MaxSeconds = 121
		}, want: map[string]string{"states[5].timeout_seconds": "1 to 60", "states[5].max_seconds": "1 to 120"}},
		{name: "positions on and off the canvas", edit: func(d *Document) {
			d.States[1].Position = &Position{X: -250.5, Y: 1e6}
			d.States[2].Position = &Position{X: 1e6 + 1, Y: 0}
		}, want: map[string]string{"states[2].position": "within"}},
		{name: "too many states", edit: func(d *Document) { *d = chain(MaxFlowStates) },
			want: map[string]string{"states": "at most 100"}},
		{name: "most states", edit: func(d *Document) { *d = chain(MaxFlowStates - 1) }},
		{name: "every violation at once", edit: func(d *Document) {
			d.Name = ""
			d.States[2].RingSeconds = 1
			d.Connections = append(d.Connections, conn("vm", "timeout", "start"), conn("alice", "ring", "vm"))
		}, want: map[string]string{"name": "empty", "states[2].ring_seconds": "5 to 300",
			"connections[4].to": "start state", "connections[5].outcome": "use timeout"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc := designDoc(t)
			tt.edit(&doc)
			checkViolations(t, ValidateFlow(doc), tt.want)
			// A draft may be incomplete but never malformed.
			draftWant := map[string]string{}
			for field, msg := range tt.want {
				if !slices.Contains(tt.incomplete, field) && !slices.Equal(tt.incomplete, []string{"*"}) {
					draftWant[field] = msg
				}
			}
			checkViolations(t, ValidateDraft(doc), draftWant)
		})
	}
}

func checkViolations(t *testing.T, err error, want map[string]string) {
	t.Helper()
	got := violations(t, err)
	for field, part := range want {
		msg, ok := got[field]
		if !ok {
			t.Errorf("no violation at %s; got %v", field, got)
		} else if !strings.Contains(msg, part) {
			t.Errorf("%s: %q does not say %q", field, msg, part)
		}
	}
	for field, msg := range got {
		if _, ok := want[field]; !ok {
			t.Errorf("unexpected violation %s: %s", field, msg)
		}
	}
}

func TestParseFlow(t *testing.T) {
	tests := []struct {
		name, in string
		want     []string
	}{
		{"unknown field", `{"name":"x","states":[{"id":"a","type":"start","colour":"red"}]}`, []string{"colour"}},
		{"wrong type", `{"name":"x","states":[{"id":"a","type":"transfer_user","user_id":"seven"}]}`, []string{"states.user_id"}},
		{"negative id", `{"name":"x","states":[{"id":"a","type":"transfer_user","user_id":-1}]}`, []string{"states.user_id"}},
		{"not json", `{"name":`, []string{"body"}},
		{"two documents", `{} {}`, []string{"body"}},
		{"array", `[]`, []string{"body"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseFlow([]byte(tt.in))
			if got := slices.Sorted(maps.Keys(violations(t, err))); !slices.Equal(got, tt.want) {
				t.Fatalf("fields %v, want %v (%v)", got, tt.want, err)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	doc := Document{States: []State{
		{ID: "u", Type: StateTransferUser},
		{ID: "p", Type: StateTransferGroup},
		{ID: "s", Type: StateTransferGroup, Ring: RingSequential},
		{ID: "v", Type: StateVoicemail},
	}}.withDefaults()
	if got := doc.States[0].RingSeconds; got != DefaultRingSeconds {
		t.Errorf("transfer_user ring_seconds %d", got)
	}
	if s := doc.States[1]; s.Ring != RingParallel || s.RingSeconds != DefaultRingSeconds {
		t.Errorf("parallel group %+v", s)
	}
	if got := doc.States[2].RingSeconds; got != DefaultSequentialRingSeconds {
		t.Errorf("sequential ring_seconds %d", got)
	}
	if s := doc.States[3]; s.MaxSeconds != 120 || s.TimeoutSeconds != DefaultVoicemailTimeout {
		t.Errorf("voicemail %+v", s)
	}
	if doc.Numbers == nil || doc.Connections == nil {
		t.Error("nil lists would encode as null")
	}
}

func TestDocumentNavigation(t *testing.T) {
	doc := designDoc(t)
	s, ok := doc.Start()
	if !ok || s.ID != "start" {
		t.Fatalf("start %v %v", s, ok)
	}
	if next, ok := doc.Next("menu", "2"); !ok || next.ID != "alice" {
		t.Fatalf("menu 2 -> %v %v", next, ok)
	}
	if _, ok := doc.Next("menu", "9"); ok {
		t.Fatal("an unconnected key leads nowhere")
	}
}

// FuzzFlow decodes and validates arbitrary documents: neither may panic, and
// a document that passes must be runnable: a start that leads somewhere.
func FuzzFlow(f *testing.F) {
	f.Add([]byte(designFlow))
	f.Add([]byte(`{"name":"x","states":[{"id":"start","type":"start"},{"id":"a","type":"announce","prompt":{"text":"hi"}}],"connections":[{"from":"start","outcome":"next","to":"a"},{"from":"a","outcome":"next","to":"a"}]}`))
	f.Add([]byte(`{"states":[{"id":"a","type":"ivr","queue":{"max_calls":-1,"notify":{}}}],"connections":[{"from":"a","outcome":"*","to":"b"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		doc, err := ParseFlow(data)
		if err != nil {
			var inv *invalid.Error
			if !errors.As(err, &inv) || len(inv.Fields) == 0 {
				t.Fatalf("parse error is not a field list: %v", err)
			}
			return
		}
		draftErr := ValidateDraft(doc)
		if err := ValidateFlow(doc); err != nil {
			var inv *invalid.Error
			if !errors.As(err, &inv) || len(inv.Fields) == 0 {
				t.Fatalf("validation error is not a field list: %v", err)
			}
			return
		}
		if draftErr != nil {
			t.Fatalf("a complete flow is refused as a draft: %v", draftErr)
		}
		start, ok := doc.Start()
		if !ok {
			t.Fatal("valid flow without a start")
		}
		if _, ok := doc.Next(start.ID, OutcomeNext); !ok {
			t.Fatal("valid flow whose start leads nowhere")
		}
		// A valid document survives a round trip unchanged.
		b, err := json.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		again, err := ParseFlow(b)
		if err != nil {
			t.Fatalf("re-parse: %v", err)
		}
		b2, _ := json.Marshal(again)
		if !bytes.Equal(b, b2) {
			t.Fatalf("round trip changed the document:\n%s\n%s", b, b2)
		}
	})
}
