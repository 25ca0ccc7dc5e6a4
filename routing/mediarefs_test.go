package routing

import (
	"context"
	"slices"
	"testing"

	"pbx/ivr"
)

func TestFlowsUsingFile(t *testing.T) {
	ctx := context.Background()
	fx := newFlowFixture(t)
	d := fx.d
	named := func(name string, p *Prompt, queue bool) Document {
		doc := fx.doc
		doc.Name = name
		doc.Numbers = nil
		doc.States = slices.Clone(fx.doc.States)
		for i, s := range doc.States {
			// The design flow plays files 3 and 4 itself: only p may.
			if s.Prompt != nil {
				s.Prompt = &Prompt{Text: "Hello"}
			}
			s.Queue = nil
			switch {
			case !queue && s.Type == StateAnnounce:
				s.Prompt = p
			case queue && s.Type == StateTransferGroup:
				s.Queue = &Queue{MaxCalls: 2, Music: p}
			}
			doc.States[i] = s
		}
		return doc
	}
	if err := d.db.Create(&ivr.File{ID: 30, Name: "upload"}).Error; err != nil {
		t.Fatal(err)
	}
	announce3, err := d.CreateFlow(ctx, named("Announces 3", &Prompt{FileID: 3}, false))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateFlow(ctx, named("Queue music 3", &Prompt{FileID: 3}, true)); err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateFlow(ctx, named("Announces 30", &Prompt{FileID: 30}, false)); err != nil {
		t.Fatal(err)
	}
	// Published with file 3, then the draft moved on to text: the running
	// version still plays it.
	if _, err := d.PublishFlow(ctx, announce3.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := d.SaveFlowDraft(ctx, announce3.ID, named("Announces 3", &Prompt{Text: "hi"}, false)); err != nil {
		t.Fatal(err)
	}

	for id, want := range map[uint][]string{
		3:  {"Announces 3", "Queue music 3"},
		30: {"Announces 30"},
		4:  {},
	} {
		got, err := FlowsUsingFile(d.db.WithContext(ctx), id)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("file %d: flows %q, want %q", id, got, want)
		}
	}
}
