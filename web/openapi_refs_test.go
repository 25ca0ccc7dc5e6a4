package web

import (
	"encoding/json"
	"os"
	"regexp"
	"testing"
)

// Every schema the OpenAPI document refers to is in it: a textual merge of
// the file once dropped fourteen.
func TestOpenAPIRefsResolve(t *testing.T) {
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`"#/components/schemas/([A-Za-z0-9_]+)"`).FindAllSubmatch(b, -1) {
		if _, ok := doc.Components.Schemas[string(m[1])]; !ok {
			t.Errorf("$ref to a missing schema %s", m[1])
		}
	}
}
