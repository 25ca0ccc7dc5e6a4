package routing

import (
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"

	"pbx/invalid"
)

// Bounds on a flow document. They keep a document something a person can
// build and a call can run, and keep validation cheap on hostile input.
const (
	MaxFlowStates         = 100
	MaxFlowConnections    = 1000
	MaxFlowNumbers        = 100
	MaxIncoming           = 10 // connections into one state
	MinRingSeconds        = 5
	MaxRingSeconds        = 300
	MaxQueueCalls         = 100
	MaxMusicRepeat        = 100
	MaxVoicemailTimeout   = 60
	MaxPromptText         = 1000
	MaxPromptURL          = 2000
	MaxPosition           = 1e6 // canvas pixels either way from the origin
	maxStateIDLength      = 40
	maxFlowNameLength     = 100
	maxFlowDescriptionLen = 500
)

var stateIDRe = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,39}$`)

// outcomes lists the exits each state type may connect, in the order the
// messages name them.
var outcomes = map[StateType][]string{
	StateStart:         {OutcomeNext},
	StateAnnounce:      {OutcomeNext},
	StateTransferUser:  {OutcomeTimeout, OutcomeUnavailable, OutcomeBusy},
	StateTransferGroup: {OutcomeTimeout, OutcomeUnavailable, OutcomeBusy},
	StateIVR:           {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "*", OutcomeTimeout},
	StateVoicemail:     {OutcomeTimeout},
}

// ValidateFlow checks that doc is a complete flow a call can run, and
// returns an *invalid.Error listing every violation with the path of the
// field at fault (states[2].ring_seconds, connections[4].to), or nil.
//
// It checks the document alone; that users, groups and numbers it names
// exist is checked when a flow is published.
func ValidateFlow(doc Document) error {
	return validateFlow(doc, true).Err()
}

// ValidateDraft checks that doc is well-formed: every value it holds is
// valid and its connections obey the graph rules (no cycles, no more than
// one exit per outcome, at most 10 into a state). It may be incomplete: the
// start state, required options (prompts, user and group) and a start
// connection may still be missing.
func ValidateDraft(doc Document) error {
	return validateFlow(doc, false).Err()
}

func validateFlow(doc Document, complete bool) *invalid.Error {
	v := &invalid.Error{}
	if msg := checkName(doc.Name, maxFlowNameLength); msg != "" {
		v.Add("name", msg)
	}
	if len([]rune(doc.Description)) > maxFlowDescriptionLen {
		v.Add("description", fmt.Sprintf("must be at most %d characters", maxFlowDescriptionLen))
	}
	checkFlowNumbers(v, doc.Numbers)
	// Past these sizes the rest is not worth checking, and checking it
	// would let one request cost a lot.
	if len(doc.States) > MaxFlowStates {
		v.Add("states", fmt.Sprintf("at most %d states", MaxFlowStates))
	}
	if len(doc.Connections) > MaxFlowConnections {
		v.Add("connections", fmt.Sprintf("at most %d connections", MaxFlowConnections))
	}
	if len(doc.States) > MaxFlowStates || len(doc.Connections) > MaxFlowConnections {
		return v
	}

	index := make(map[string]int, len(doc.States)) // state id -> position
	start := -1
	for i, s := range doc.States {
		at := fmt.Sprintf("states[%d]", i)
		switch {
		case s.ID == "":
			v.Add(at+".id", "is required")
		case !stateIDRe.MatchString(s.ID):
			v.Add(at+".id", fmt.Sprintf("must be 1 to %d lowercase letters, digits, - or _, starting with a letter or digit", maxStateIDLength))
		default:
			if j, dup := index[s.ID]; dup {
				v.Add(at+".id", fmt.Sprintf("%q is already the id of states[%d]", s.ID, j))
			} else {
				index[s.ID] = i
			}
		}
		if s.Type == StateStart {
			if start >= 0 {
				v.Add(at+".type", fmt.Sprintf("a flow has one start state, and states[%d] is already it", start))
			} else {
				start = i
			}
		}
		checkState(v, at, s, complete)
	}
	if start < 0 && complete {
		v.Add("states", "needs a state of type start")
	}

	typeOf := func(id string) (StateType, bool) {
		i, ok := index[id]
		if !ok {
			return "", false
		}
		return doc.States[i].Type, true
	}
	seen := make(map[exit]int, len(doc.Connections))
	incoming := make(map[string]int, len(doc.States))
	outgoing := make(map[string]int, len(doc.States)) // exits by an allowed outcome
	menuKeys := make(map[string]int, len(doc.States))
	edges := make([][]edge, len(doc.States)) // by position of the from state
	for i, c := range doc.Connections {
		at := fmt.Sprintf("connections[%d]", i)
		fromType, fromOK := typeOf(c.From)
		switch {
		case c.From == "":
			v.Add(at+".from", "is required")
		case !fromOK:
			v.Add(at+".from", fmt.Sprintf("no state has the id %q", c.From))
		}
		toType, toOK := typeOf(c.To)
		switch {
		case c.To == "":
			v.Add(at+".to", "is required")
		case !toOK:
			v.Add(at+".to", fmt.Sprintf("no state has the id %q", c.To))
		case toType == StateStart:
			v.Add(at+".to", "cannot lead into the start state; calls enter a flow there only")
			toOK = false
		}
		outcomeOK := false
		if fromOK {
			allowed := outcomes[fromType]
			switch {
			case c.Outcome == "":
				v.Add(at+".outcome", "is required")
			case allowed == nil:
				// The state's type is already refused; say nothing more.
			case !slices.Contains(allowed, c.Outcome):
				v.Add(at+".outcome", fmt.Sprintf("%q is not an exit of a %s state; use %s", c.Outcome, fromType, orList(allowed)))
			default:
				k := exit{c.From, c.Outcome}
				if j, dup := seen[k]; dup {
					v.Add(at+".outcome", fmt.Sprintf("state %q already leaves by %q in connections[%d]", c.From, c.Outcome, j))
				} else {
					seen[k] = i
					outcomeOK = true
					outgoing[c.From]++
					if fromType == StateIVR && c.Outcome != OutcomeTimeout {
						menuKeys[c.From]++
					}
				}
			}
		}
		if toOK {
			incoming[c.To]++
			if incoming[c.To] == MaxIncoming+1 {
				v.Add(at+".to", fmt.Sprintf("state %q already has %d incoming connections, the most a state accepts", c.To, MaxIncoming))
			}
		}
		if fromOK && toOK && outcomeOK {
			edges[index[c.From]] = append(edges[index[c.From]], edge{to: index[c.To], conn: i})
		}
	}

	if complete {
		for i, s := range doc.States {
			if index[s.ID] != i {
				continue // a duplicate id, already refused
			}
			switch {
			case i == start && outgoing[s.ID] == 0:
				v.Add(fmt.Sprintf("states[%d]", i), "the start state must connect to the first state of the flow")
			case s.Type == StateIVR && menuKeys[s.ID] == 0:
				v.Add(fmt.Sprintf("states[%d]", i), "an IVR needs at least one menu key (0-9 or *) connected")
			}
		}
	}
	checkCycles(v, doc, edges)
	return v
}

// exit is one way out of a state.
type exit struct{ from, outcome string }

// edge is a valid connection, by position: to the state at index to, made by
// connections[conn].
type edge struct{ to, conn int }

// checkCycles refuses every connection that closes a cycle, naming the path
// it closes. A depth-first search finds them: a connection into a state that
// is still on the search's path leads back to where it came from.
func checkCycles(v *invalid.Error, doc Document, edges [][]edge) {
	const (
		unseen = iota
		onPath
		done
	)
	mark := make([]int, len(doc.States))
	var path []int
	var visit func(n int)
	visit = func(n int) {
		mark[n] = onPath
		path = append(path, n)
		for _, e := range edges[n] {
			switch mark[e.to] {
			case unseen:
				visit(e.to)
			case onPath:
				from := slices.Index(path, e.to)
				ids := make([]string, 0, len(path)-from+1)
				for _, p := range path[from:] {
					ids = append(ids, doc.States[p].ID)
				}
				ids = append(ids, doc.States[e.to].ID)
				v.Add(fmt.Sprintf("connections[%d].to", e.conn),
					fmt.Sprintf("closes a cycle %s; a state cannot lead back to itself", strings.Join(ids, " → ")))
			}
		}
		path = path[:len(path)-1]
		mark[n] = done
	}
	for n := range doc.States {
		if mark[n] == unseen {
			visit(n)
		}
	}
}

// checkState checks the options of one state against its type.
func checkState(v *invalid.Error, at string, s State, complete bool) {
	if p := s.Position; p != nil && (math.Abs(p.X) > MaxPosition || math.Abs(p.Y) > MaxPosition) {
		v.Add(at+".position", fmt.Sprintf("x and y must be within %g of 0", float64(MaxPosition)))
	}
	if _, known := outcomes[s.Type]; !known {
		if s.Type == "" {
			v.Add(at+".type", "is required")
		} else {
			v.Add(at+".type", fmt.Sprintf("%q is not a state type; use start, transfer_user, transfer_group, ivr, announce or voicemail", s.Type))
		}
		return
	}
	allowed := stateOptions[s.Type]
	for _, o := range optionChecks {
		if o.set(s) && !slices.Contains(allowed, o.name) {
			v.Add(at+"."+o.name, fmt.Sprintf("is not an option of a %s state", s.Type))
		}
	}
	required := func(name string, present bool) {
		if complete && !present {
			v.Add(at+"."+name, "is required")
		}
	}
	switch s.Type {
	case StateTransferUser, StateTransferGroup:
		if s.Type == StateTransferUser {
			required("user_id", s.UserID != 0)
		} else {
			required("group_id", s.GroupID != 0)
			if s.Ring != "" && s.Ring != RingParallel && s.Ring != RingSequential {
				v.Add(at+".ring", fmt.Sprintf("%q is not a ring type; use parallel or sequential", s.Ring))
			}
		}
		if s.RingSeconds != 0 && (s.RingSeconds < MinRingSeconds || s.RingSeconds > MaxRingSeconds) {
			v.Add(at+".ring_seconds", fmt.Sprintf("must be %d to %d seconds", MinRingSeconds, MaxRingSeconds))
		}
		if q := s.Queue; q != nil {
			if q.MaxCalls < 0 || q.MaxCalls > MaxQueueCalls {
				v.Add(at+".queue.max_calls", fmt.Sprintf("must be 0 (no queue) to %d", MaxQueueCalls))
			}
			if q.MusicRepeat < 0 || q.MusicRepeat > MaxMusicRepeat {
				v.Add(at+".queue.music_repeat", fmt.Sprintf("must be 0 (until the call leaves the queue) to %d", MaxMusicRepeat))
			}
			checkPrompt(v, at+".queue.notify", q.Notify)
			checkPrompt(v, at+".queue.music", q.Music)
		}
	case StateIVR, StateAnnounce, StateVoicemail:
		required("prompt", s.Prompt != nil)
		checkPrompt(v, at+".prompt", s.Prompt)
		if s.Type != StateVoicemail {
			break
		}
		if s.TimeoutSeconds < 0 || s.TimeoutSeconds > MaxVoicemailTimeout {
			v.Add(at+".timeout_seconds", fmt.Sprintf("must be 1 to %d seconds", MaxVoicemailTimeout))
		}
		if s.MaxSeconds < 0 || s.MaxSeconds > MaxVoicemailSeconds {
			v.Add(at+".max_seconds", fmt.Sprintf("must be 1 to %d seconds", MaxVoicemailSeconds))
		}
	}
}

// stateOptions lists the options each state type takes.
var stateOptions = map[StateType][]string{
	StateStart:         {},
	StateTransferUser:  {"user_id", "ring_seconds", "record", "queue"},
	StateTransferGroup: {"group_id", "ring", "ring_seconds", "record", "queue"},
	StateIVR:           {"prompt"},
	StateAnnounce:      {"prompt"},
	StateVoicemail:     {"prompt", "timeout_seconds", "max_seconds", "user_id"},
}

var optionChecks = []struct {
	name string
	set  func(State) bool
}{
	{"user_id", func(s State) bool { return s.UserID != 0 }},
	{"group_id", func(s State) bool { return s.GroupID != 0 }},
	{"ring", func(s State) bool { return s.Ring != "" }},
	{"ring_seconds", func(s State) bool { return s.RingSeconds != 0 }},
	{"record", func(s State) bool { return s.Record }},
	{"queue", func(s State) bool { return s.Queue != nil }},
	{"prompt", func(s State) bool { return s.Prompt != nil }},
	{"timeout_seconds", func(s State) bool { return s.TimeoutSeconds != 0 }},
	{"max_seconds", func(s State) bool { return s.MaxSeconds != 0 }},
}

// checkPrompt checks p, when given, at field path at.
func checkPrompt(v *invalid.Error, at string, p *Prompt) {
	if p == nil {
		return
	}
	kinds := 0
	if p.Text != "" {
		kinds++
	}
	if p.FileID != 0 {
		kinds++
	}
	if p.URL != "" {
		kinds++
	}
	if kinds != 1 {
		v.Add(at, "must hold exactly one of text, file_id or url")
		return
	}
	switch {
	case p.Text != "":
		t := strings.TrimSpace(p.Text)
		switch {
		case t == "":
			v.Add(at+".text", "must not be blank")
		case len([]rune(t)) > MaxPromptText:
			v.Add(at+".text", fmt.Sprintf("must be at most %d characters", MaxPromptText))
		case strings.IndexFunc(t, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) >= 0:
			v.Add(at+".text", "must not contain control characters")
		}
	case p.URL != "":
		if msg := checkAudioURL(p.URL); msg != "" {
			v.Add(at+".url", msg)
		}
	}
}

func checkAudioURL(s string) string {
	if len(s) > MaxPromptURL {
		return fmt.Sprintf("must be at most %d characters", MaxPromptURL)
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "must be an http:// or https:// URL"
	}
	return ""
}

func checkFlowNumbers(v *invalid.Error, numbers []string) {
	if len(numbers) > MaxFlowNumbers {
		v.Add("numbers", fmt.Sprintf("at most %d numbers", MaxFlowNumbers))
		return
	}
	for i, n := range numbers {
		at := fmt.Sprintf("numbers[%d]", i)
		if !e164Re.MatchString(n) {
			v.Add(at, fmt.Sprintf("%q is not an E.164 number such as +15550001111", n))
		} else if j := slices.Index(numbers, n); j != i {
			v.Add(at, fmt.Sprintf("%s is already listed at numbers[%d]", n, j))
		}
	}
}

// orList writes a, b or c.
func orList(items []string) string {
	if len(items) == 1 {
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " or " + items[len(items)-1]
}
