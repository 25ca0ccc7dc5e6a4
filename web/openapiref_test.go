package web

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestOpenAPIRefsResolve checks that every $ref in openapi.json names a
// part of the document: a schema filed in the wrong section leaves the
// generated client types (web/ui/src/openapi.d.ts) without it.
func TestOpenAPIRefsResolve(t *testing.T) {
	var doc any
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	var walk func(v any, at string)
	walk = func(v any, at string) {
		switch v := v.(type) {
		case map[string]any:
			for k, child := range v {
				if ref, ok := child.(string); ok && k == "$ref" {
					if !resolves(doc, ref) {
						t.Errorf("%s: $ref %q names nothing in openapi.json", at, ref)
					}
					continue
				}
				walk(child, at+"/"+k)
			}
		case []any:
			for _, child := range v {
				walk(child, at+"/[]")
			}
		}
	}
	walk(doc, "#")
}

// resolves follows a local JSON pointer such as #/components/schemas/User.
func resolves(doc any, ref string) bool {
	path, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return false
	}
	v := doc
	for _, part := range strings.Split(path, "/") {
		m, ok := v.(map[string]any)
		if !ok {
			return false
		}
		if v, ok = m[strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")]; !ok {
			return false
		}
	}
	return true
}
