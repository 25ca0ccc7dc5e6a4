package routing

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"gorm.io/gorm"
)

func TestNumberCountries(t *testing.T) {
	for _, tt := range []struct{ e164, code, countries string }{
		{"+15550001111", "1", "US CA UM"},
		{"+18095550100", "1809", "DO"},
		{"+74951234567", "7", "RU"},
		{"+77011234567", "77", "KZ"},
		{"+442071234567", "44", "GB GG IM JE"},
		{"+35312345678", "353", "IE"},
		{"+8613812345678", "86", "CN"},
		{"+80012345678", "", ""},
		{"+88212345678", "", ""},
	} {
		code, cs := numberCountries(tt.e164)
		if code != tt.code || strings.Join(cs, " ") != tt.countries {
			t.Errorf("%s: +%s %v, want +%s %s", tt.e164, code, cs, tt.code, tt.countries)
		}
	}
}

// TestEveryCountryHasACallingCode: a country a number may name is in the
// calling-code table, and the table names only countries.
func TestEveryCountryHasACallingCode(t *testing.T) {
	has := map[string]bool{}
	for code, cs := range callingCodes {
		for _, c := range strings.Fields(cs) {
			if !isCountry(c) {
				t.Errorf("+%s lists %q, not an ISO 3166 code", code, c)
			}
			has[c] = true
		}
	}
	for _, c := range strings.Fields(iso3166) {
		if !has[c] {
			t.Errorf("%s has no calling code", c)
		}
	}
}

func TestNumberValidation(t *testing.T) {
	ctx := context.Background()
	d := testDirectory(t)
	// Trunk 3 exists; no other does.
	d.trunkExists = func(_ *gorm.DB, id uint) (bool, error) { return id == 3, nil }
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
		{"no such trunk", NumberInput{E164: ptr("+15550002222"), Type: ptr(NumberTollFree), Country: ptr("US"),
			TrunkID: Link{Set: true, ID: ptr(uint(4))}},
			map[string]string{"trunk_id": "trunk 4 does not exist"}},
		{"country contradicts the prefix", NumberInput{E164: ptr("+4930123456"), Type: ptr(NumberTollFree), Country: ptr("US")},
			map[string]string{"country": "+4930123456 is a number of DE (+49), not US"}},
		{"a Caribbean number is not a US number", NumberInput{E164: ptr("+18765550100"), Type: ptr(NumberTollFree), Country: ptr("US")},
			map[string]string{"country": "is a number of JM (+1876), not US"}},
		{"no country's code", NumberInput{E164: ptr("+88234567890"), Type: ptr(NumberTollFree), Country: ptr("US")},
			map[string]string{"e164": "no country's calling code"}},
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
	// Changing the number or the country alone is checked against the other.
	_, err = d.UpdateNumber(ctx, n.ID, NumberInput{Country: ptr("IE")})
	checkViolations(t, err, map[string]string{"country": "a number of GB or GG or IM or JE (+44), not IE"})
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
