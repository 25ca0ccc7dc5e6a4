package routing

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"pbx/ivr"
)

// flowFixture is a directory with one user, one group and two numbers, and a
// flow document that names them.
type flowFixture struct {
	d       *Directory
	user    User
	group   Group
	numbers []Number
	doc     Document
}

func newFlowFixture(t *testing.T) flowFixture {
	t.Helper()
	ctx := context.Background()
	d := testDirectory(t)
	d.now = func() time.Time { return time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC) }
	u, err := d.CreateUser(ctx, UserInput{Name: ptr("Alice"), Extension: ptr("1001"), SIPPassword: ptr("secret-pass")})
	if err != nil {
		t.Fatal(err)
	}
	g, err := d.CreateGroup(ctx, GroupInput{Name: ptr("Sales"), MemberIDs: ptr([]uint{u.ID})})
	if err != nil {
		t.Fatal(err)
	}
	fx := flowFixture{d: d, user: u, group: g}
	for _, e164 := range []string{"+15550001111", "+15550002222"} {
		n, err := d.CreateNumber(ctx, NumberInput{E164: ptr(e164), Type: ptr(NumberTollFree), Country: ptr("US")})
		if err != nil {
			t.Fatal(err)
		}
		fx.numbers = append(fx.numbers, n)
	}
	// The design flow plays uploaded files 3 and 4.
	for _, id := range []uint{3, 4} {
		if err := d.db.Create(&ivr.File{ID: id, Name: "upload"}).Error; err != nil {
			t.Fatal(err)
		}
	}
	fx.doc = designDoc(t)
	fx.doc.States[2].GroupID = g.ID
	fx.doc.States[3].UserID = u.ID
	return fx
}

func TestPublishFlow(t *testing.T) {
	ctx := context.Background()
	fx := newFlowFixture(t)
	d := fx.d

	f, err := d.CreateFlow(ctx, fx.doc)
	if err != nil {
		t.Fatal(err)
	}
	if !f.Enabled || f.Published != nil || f.PublishedVersion != 0 || !f.UnpublishedChanges {
		t.Fatalf("new flow %+v", f)
	}
	if len(f.Numbers) != 0 {
		t.Fatalf("a draft links no numbers before it is published: %v", f.Numbers)
	}
	if f.Draft.States[3].RingSeconds != 30 || f.Draft.States[5].MaxSeconds != MaxVoicemailSeconds {
		t.Fatalf("defaults not filled in: %+v", f.Draft.States)
	}

	f, err = d.PublishFlow(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if f.PublishedVersion != 1 || f.Published == nil || f.UnpublishedChanges || f.PublishedAt == nil {
		t.Fatalf("published %+v", f)
	}
	if !slices.Equal(f.Numbers, []string{"+15550001111"}) {
		t.Fatalf("numbers %v", f.Numbers)
	}
	pf, err := d.PublishedFlowForNumber(ctx, "+15550001111")
	if err != nil {
		t.Fatal(err)
	}
	if pf.FlowID != f.ID || pf.Version != 1 || len(pf.Document.States) != 6 {
		t.Fatalf("published flow %+v", pf)
	}

	// Editing the draft leaves calls on version 1 until it is published.
	edited := fx.doc
	edited.States = slices.Clone(edited.States)
	edited.States[1].Prompt = &Prompt{Text: "Press 1 for sales"}
	f, err = d.SaveFlowDraft(ctx, f.ID, edited)
	if err != nil {
		t.Fatal(err)
	}
	if !f.UnpublishedChanges || f.Published.States[1].Prompt.Text == "Press 1 for sales" {
		t.Fatalf("draft edit reached the published version: %+v", f.Published.States[1])
	}
	pf, _ = d.PublishedFlowForNumber(ctx, "+15550001111")
	if pf.Document.States[1].Prompt.Text != fx.doc.States[1].Prompt.Text {
		t.Fatal("a call would run the draft")
	}
	// Where the builder draws a state is no change to publish.
	moved := fx.doc
	moved.States = slices.Clone(moved.States)
	moved.States[2].Position = &Position{X: 120, Y: -40.5}
	if f, err = d.SaveFlowDraft(ctx, f.ID, moved); err != nil {
		t.Fatal(err)
	}
	if f.UnpublishedChanges {
		t.Fatal("moving a state counts as a change to publish")
	}
	if p := f.Draft.States[2].Position; p == nil || *p != (Position{X: 120, Y: -40.5}) {
		t.Fatalf("position not kept: %+v", p)
	}
	if f, err = d.SaveFlowDraft(ctx, f.ID, edited); err != nil {
		t.Fatal(err)
	}

	f, err = d.PublishFlow(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if f.PublishedVersion != 2 || f.Published.States[1].Prompt.Text != "Press 1 for sales" {
		t.Fatalf("second publish %+v", f)
	}
	versions, err := d.FlowVersions(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(versions) != 2 || versions[0].Version != 2 || versions[1].Version != 1 ||
		versions[1].Document.States[1].Prompt.Text != fx.doc.States[1].Prompt.Text {
		t.Fatalf("versions %+v", versions)
	}
}

func TestPublishRefusesAndChangesNothing(t *testing.T) {
	ctx := context.Background()
	fx := newFlowFixture(t)
	d := fx.d
	other, err := d.CreateFlow(ctx, Document{Name: "Other", Numbers: []string{"+15550002222"},
		States:      []State{{ID: "start", Type: StateStart}, {ID: "bye", Type: StateAnnounce, Prompt: &Prompt{Text: "Bye"}}},
		Connections: []Connection{{From: "start", Outcome: OutcomeNext, To: "bye"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.PublishFlow(ctx, other.ID); err != nil {
		t.Fatal(err)
	}

	doc := fx.doc
	doc.Numbers = []string{"+15550001111", "+15550003333", "+15550002222"}
	doc.States = slices.Clone(doc.States)
	doc.States[3].UserID = 999
	doc.States[2].GroupID = 998
	doc.States[5].Prompt = nil // incomplete: a draft may lack it, a published flow not
	doc.States[1].Prompt = &Prompt{FileID: 77}
	f, err := d.CreateFlow(ctx, doc)
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.PublishFlow(ctx, f.ID)
	checkViolations(t, err, map[string]string{
		"states[3].user_id":        "user 999 does not exist",
		"states[2].group_id":       "group 998 does not exist",
		"states[5].prompt":         "required",
		"states[1].prompt.file_id": "media file 77 does not exist",
		"numbers[1]":               "+15550003333 is not one of the numbers",
		"numbers[2]":               `already answers to flow "Other"`,
	})
	f, err = d.Flow(ctx, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if f.PublishedVersion != 0 || f.Published != nil || len(f.Numbers) != 0 {
		t.Fatalf("a refused publish changed the flow: %+v", f)
	}
	if n, _ := d.Number(ctx, fx.numbers[0].ID); n.FlowID != nil {
		t.Fatal("a refused publish linked a number")
	}
	if versions, _ := d.FlowVersions(ctx, f.ID); len(versions) != 0 {
		t.Fatalf("versions %+v", versions)
	}
}

func TestSaveFlowDraftRefusesMalformed(t *testing.T) {
	ctx := context.Background()
	fx := newFlowFixture(t)
	d := fx.d
	f, err := d.CreateFlow(ctx, fx.doc)
	if err != nil {
		t.Fatal(err)
	}
	bad := fx.doc
	bad.Connections = append(slices.Clone(bad.Connections), Connection{From: "vm", Outcome: "timeout", To: "menu"})
	_, err = d.SaveFlowDraft(ctx, f.ID, bad)
	checkViolations(t, err, map[string]string{"connections[4].to": "cycle"})

	_, err = d.CreateFlow(ctx, fx.doc)
	checkViolations(t, err, map[string]string{"name": "already exists"})

	if _, err := d.SaveFlowDraft(ctx, 999, fx.doc); !errors.Is(err, ErrNotFound) {
		t.Fatalf("draft of a missing flow: %v", err)
	}
	if _, err := d.PublishFlow(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("publish of a missing flow: %v", err)
	}
}

func TestPublishedFlowForNumber(t *testing.T) {
	ctx := context.Background()
	fx := newFlowFixture(t)
	d := fx.d
	f, err := d.CreateFlow(ctx, fx.doc)
	if err != nil {
		t.Fatal(err)
	}
	// Linked through the numbers API before the flow is ever published.
	if _, err := d.UpdateNumber(ctx, fx.numbers[0].ID, NumberInput{FlowID: Link{Set: true, ID: &f.ID}}); err != nil {
		t.Fatal(err)
	}
	lookup := func(e164 string) error {
		_, err := d.PublishedFlowForNumber(ctx, e164)
		return err
	}
	steps := []struct {
		name   string
		before func()
		number string
		want   error
	}{
		{"unknown number", nil, "+15559999999", ErrNoSuchNumber},
		{"number without a flow", nil, "+15550002222", ErrNoFlow},
		{"flow never published", nil, "+15550001111", ErrFlowNotPublished},
		{"published", func() {
			if _, err := d.PublishFlow(ctx, f.ID); err != nil {
				t.Fatal(err)
			}
		}, "+15550001111", nil},
		{"disabled", func() {
			if _, err := d.SetFlowEnabled(ctx, f.ID, false); err != nil {
				t.Fatal(err)
			}
		}, "+15550001111", ErrFlowDisabled},
		{"enabled again", func() {
			if _, err := d.SetFlowEnabled(ctx, f.ID, true); err != nil {
				t.Fatal(err)
			}
		}, "+15550001111", nil},
		{"flow deleted", func() {
			if err := d.DeleteFlow(ctx, f.ID); err != nil {
				t.Fatal(err)
			}
		}, "+15550001111", ErrNoFlow},
	}
	for _, s := range steps {
		if s.before != nil {
			s.before()
		}
		err := lookup(s.number)
		if s.want == nil && err != nil || s.want != nil && !errors.Is(err, s.want) {
			t.Fatalf("%s: got %v, want %v", s.name, err, s.want)
		}
	}
	if _, err := d.SetFlowEnabled(ctx, f.ID, true); !errors.Is(err, ErrNotFound) {
		t.Fatalf("enable a deleted flow: %v", err)
	}
}

func TestNumbersFollowFlows(t *testing.T) {
	ctx := context.Background()
	fx := newFlowFixture(t)
	d := fx.d
	one, two := fx.numbers[0], fx.numbers[1]
	f, err := d.CreateFlow(ctx, fx.doc) // lists one
	if err != nil {
		t.Fatal(err)
	}
	if f, err = d.PublishFlow(ctx, f.ID); err != nil {
		t.Fatal(err)
	}

	// Linking two through the numbers API lists it in the draft and shows
	// it on the published version at once; the next publish keeps it.
	if _, err := d.UpdateNumber(ctx, two.ID, NumberInput{FlowID: Link{Set: true, ID: &f.ID}}); err != nil {
		t.Fatal(err)
	}
	f, _ = d.Flow(ctx, f.ID)
	if !slices.Equal(f.Draft.Numbers, []string{one.E164, two.E164}) || !slices.Equal(f.Numbers, []string{one.E164, two.E164}) ||
		!slices.Equal(f.Published.Numbers, f.Numbers) {
		t.Fatalf("after linking: draft %v linked %v published %v", f.Draft.Numbers, f.Numbers, f.Published.Numbers)
	}
	if f.UnpublishedChanges {
		t.Fatal("linking a number is no change to publish")
	}
	if f, err = d.PublishFlow(ctx, f.ID); err != nil || len(f.Numbers) != 2 {
		t.Fatalf("republish: %v %v", f.Numbers, err)
	}

	// Renaming a linked number follows in the draft.
	if _, err := d.UpdateNumber(ctx, two.ID, NumberInput{E164: ptr("+15550002223")}); err != nil {
		t.Fatal(err)
	}
	f, _ = d.Flow(ctx, f.ID)
	if !slices.Equal(f.Draft.Numbers, []string{one.E164, "+15550002223"}) {
		t.Fatalf("after rename: draft %v", f.Draft.Numbers)
	}

	// Publishing a draft without a number unlinks it.
	doc := f.Draft
	doc.Numbers = []string{"+15550002223"}
	if _, err := d.SaveFlowDraft(ctx, f.ID, doc); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.Number(ctx, one.ID); n.FlowID == nil {
		t.Fatal("saving a draft must not unlink numbers; publishing does")
	}
	if _, err := d.PublishFlow(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.Number(ctx, one.ID); n.FlowID != nil {
		t.Fatalf("number one still linked to %d", *n.FlowID)
	}
	if err := lookupErr(d, one.E164); !errors.Is(err, ErrNoFlow) {
		t.Fatalf("unlinked number: %v", err)
	}

	// Unlinking with null takes the number off the draft.
	if _, err := d.UpdateNumber(ctx, two.ID, NumberInput{FlowID: Link{Set: true}}); err != nil {
		t.Fatal(err)
	}
	f, _ = d.Flow(ctx, f.ID)
	if len(f.Draft.Numbers) != 0 || len(f.Numbers) != 0 {
		t.Fatalf("after unlinking: draft %v linked %v", f.Draft.Numbers, f.Numbers)
	}

	// Deleting a linked number takes it off the draft too.
	if _, err := d.UpdateNumber(ctx, two.ID, NumberInput{FlowID: Link{Set: true, ID: &f.ID}}); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteNumber(ctx, two.ID); err != nil {
		t.Fatal(err)
	}
	if f, _ = d.Flow(ctx, f.ID); len(f.Draft.Numbers) != 0 {
		t.Fatalf("after delete: draft %v", f.Draft.Numbers)
	}

	// Deleting a flow unlinks its numbers.
	if _, err := d.UpdateNumber(ctx, one.ID, NumberInput{FlowID: Link{Set: true, ID: &f.ID}}); err != nil {
		t.Fatal(err)
	}
	if err := d.DeleteFlow(ctx, f.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.Number(ctx, one.ID); n.FlowID != nil {
		t.Fatal("deleted flow still answers a number")
	}
	if _, err := d.FlowVersions(ctx, f.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("versions of a deleted flow: %v", err)
	}
}

func lookupErr(d *Directory, e164 string) error {
	_, err := d.PublishedFlowForNumber(context.Background(), e164)
	return err
}
