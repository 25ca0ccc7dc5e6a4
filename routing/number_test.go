package routing

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
)

func TestNumberValidation(t *testing.T) {
	ctx := context.Background()
	d := testDirectory(t)
	if _, err := d.CreateNumber(ctx, NumberInput{E164: ptr("+15550001111"), Type: ptr(NumberLocal), Country: ptr("US"), Region: ptr("California")}); err != nil {
		t.Fatal(err)
	}
	flowID := uint(42)
	zero := uint(0)
	tests := []struct {
		name string
		in   NumberInput
		want map[string]string
	}{
		{"nothing", NumberInput{}, map[string]string{"e164": "required", "type": "required", "country": "required"}},
		{"bad values", NumberInput{E164: ptr("5550001111"), Type: ptr("premium"), Country: ptr("us")},
			map[string]string{"e164": "E.164", "type": "local, mobile or toll_free", "country": "ISO 3166"}},
		{"no such country", NumberInput{E164: ptr("+15550002222"), Type: ptr(NumberTollFree), Country: ptr("XX")},
			map[string]string{"country": "ISO 3166"}},
		{"local needs a region", NumberInput{E164: ptr("+15550002222"), Type: ptr(NumberLocal), Country: ptr("US"), Region: ptr(" ")},
			map[string]string{"region": "required for a local number"}},
		{"mobile needs an address", NumberInput{E164: ptr("+447700900123"), Type: ptr(NumberMobile), Country: ptr("GB")},
			map[string]string{"address": "required for a mobile number"}},
		{"taken", NumberInput{E164: ptr("+15550001111"), Type: ptr(NumberTollFree), Country: ptr("US")},
			map[string]string{"e164": "already one of the numbers"}},
		{"no such flow, trunk 0", NumberInput{E164: ptr("+15550002222"), Type: ptr(NumberTollFree), Country: ptr("US"),
			FlowID: Link{Set: true, ID: &flowID}, TrunkID: Link{Set: true, ID: &zero}},
			map[string]string{"flow_id": "flow 42 does not exist", "trunk_id": "trunk's id"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := d.CreateNumber(ctx, tt.in)
			checkViolations(t, err, tt.want)
		})
	}

	trunk := uint(3)
	n, err := d.CreateNumber(ctx, NumberInput{E164: ptr("+447700900123"), Type: ptr(NumberMobile), Country: ptr("GB"),
		Address: ptr("1 High Street, London"), TrunkID: Link{Set: true, ID: &trunk}})
	if err != nil {
		t.Fatal(err)
	}
	if n.TrunkID == nil || *n.TrunkID != 3 || n.FlowID != nil {
		t.Fatalf("created %+v", n)
	}
	// Changing the type asks for what the new type needs.
	_, err = d.UpdateNumber(ctx, n.ID, NumberInput{Type: ptr(NumberLocal)})
	checkViolations(t, err, map[string]string{"region": "required for a local number"})
	n, err = d.UpdateNumber(ctx, n.ID, NumberInput{Type: ptr(NumberLocal), Region: ptr("London"), TrunkID: Link{Set: true}})
	if err != nil {
		t.Fatal(err)
	}
	if n.Type != NumberLocal || n.TrunkID != nil || n.Address == "" {
		t.Fatalf("updated %+v", n)
	}

	list, err := d.ListNumbers(ctx, NumberFilter{Type: NumberLocal})
	if err != nil || len(list) != 2 {
		t.Fatalf("local numbers %v %v", list, err)
	}
	if _, err := d.ListNumbers(ctx, NumberFilter{Type: "cheap"}); fields(err) == nil {
		t.Fatalf("unknown type filter: %v", err)
	}
	if err := d.DeleteNumber(ctx, 999); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete missing: %v", err)
	}
}

func TestNumberFilters(t *testing.T) {
	ctx := context.Background()
	fx := newFlowFixture(t)
	f, err := fx.d.CreateFlow(ctx, fx.doc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fx.d.UpdateNumber(ctx, fx.numbers[1].ID, NumberInput{FlowID: Link{Set: true, ID: &f.ID}}); err != nil {
		t.Fatal(err)
	}
	linked, _ := fx.d.ListNumbers(ctx, NumberFilter{FlowID: f.ID})
	free, _ := fx.d.ListNumbers(ctx, NumberFilter{NoFlow: true})
	if len(linked) != 1 || linked[0].ID != fx.numbers[1].ID || len(free) != 1 || free[0].ID != fx.numbers[0].ID {
		t.Fatalf("linked %v free %v", linked, free)
	}
}

func TestLinkJSON(t *testing.T) {
	tests := []struct {
		in      string
		set     bool
		id      uint // 0: nil
		wantErr bool
	}{
		{`{}`, false, 0, false},
		{`{"flow_id": null}`, true, 0, false},
		{`{"flow_id": 7}`, true, 7, false},
		{`{"flow_id": "7"}`, false, 0, true},
		{`{"flow_id": -1}`, false, 0, true},
	}
	for _, tt := range tests {
		var in NumberInput
		err := json.Unmarshal([]byte(tt.in), &in)
		if (err != nil) != tt.wantErr {
			t.Errorf("%s: error %v", tt.in, err)
			continue
		}
		if err != nil {
			continue
		}
		got := uint(0)
		if in.FlowID.ID != nil {
			got = *in.FlowID.ID
		}
		if in.FlowID.Set != tt.set || got != tt.id {
			t.Errorf("%s: %+v", tt.in, in.FlowID)
		}
	}
}
