package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"pbx/billing"
	"pbx/invalid"
	"pbx/ivr"
	"pbx/routing"
	"pbx/sip"
)

const maxBody = 1 << 20

// decode reads a JSON object from r into v. A body that is not valid JSON, or
// holds unknown fields or wrong types, is an *invalid.Error naming the field.
func decode(r *http.Request, v any) error {
	return decodeJSON(io.LimitReader(r.Body, maxBody), v)
}

// decodeJSON is decode from any reader.
func decodeJSON(r io.Reader, v any) error {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case err == nil:
		if dec.More() {
			return invalid.New("body", "must hold a single JSON object")
		}
		return nil
	case errors.Is(err, io.EOF):
		return invalid.New("body", "is empty; send a JSON object")
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			field = "body"
		}
		return invalid.New(field, fmt.Sprintf("must be %s", jsonKind(typeErr.Type.String())))
	case errors.As(err, &syntaxErr):
		return invalid.New("body", fmt.Sprintf("is not valid JSON at byte %d", syntaxErr.Offset))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return invalid.New(name, "is not a known field")
	default:
		return invalid.New("body", "is not a valid JSON object")
	}
}

func jsonKind(goType string) string {
	switch {
	case strings.Contains(goType, "[]"):
		return "an array"
	case strings.Contains(goType, "string"):
		return "a string"
	case strings.Contains(goType, "bool"):
		return "true or false"
	case strings.Contains(goType, "int"):
		return "a whole non-negative number"
	}
	return "of type " + goType
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type errorBody struct {
	Error  string          `json:"error,omitempty"`
	Errors []invalid.Field `json:"errors,omitempty"`
}

// conflictBody is the 409 answer to deleting what is still in use: the
// names of the call flows and the numbers that use it.
type conflictBody struct {
	Error   string   `json:"error"`
	Flows   []string `json:"flows"`
	Numbers []string `json:"numbers"`
}

// writeError answers err with its status: 422 with the fields for invalid
// input, 404 for a missing resource, 409 naming the users of what is still
// in use, 500 (logged, not shown) otherwise.
func writeError(w http.ResponseWriter, log *slog.Logger, err error) {
	var inv *invalid.Error
	var inUse *invalid.InUseError
	switch {
	case errors.Is(err, billing.ErrInsufficientCredit):
		writeJSON(w, http.StatusPaymentRequired, errorBody{Error: "insufficient credit: buy credits, then try again"})
	case errors.As(err, &inv):
		writeJSON(w, http.StatusUnprocessableEntity, errorBody{Error: "invalid input", Errors: inv.Fields})
	case errors.Is(err, routing.ErrNotFound), errors.Is(err, sip.ErrNotFound), errors.Is(err, ivr.ErrNotFound),
		errors.Is(err, billing.ErrNotFound):
		writeJSON(w, http.StatusNotFound, errorBody{Error: err.Error()})
	case errors.As(err, &inUse):
		writeJSON(w, http.StatusConflict, conflictBody{Error: inUse.Error(), Flows: inUse.Flows, Numbers: inUse.Numbers})
	default:
		log.Error("api", "error", err)
		writeJSON(w, http.StatusInternalServerError, errorBody{Error: "internal error"})
	}
}

// pathID reads the {id} path segment; a bad one answers 404 as no such resource.
func pathID(w http.ResponseWriter, r *http.Request) (uint, bool) {
	n, err := strconv.ParseUint(r.PathValue("id"), 10, 32)
	if err != nil || n == 0 {
		writeJSON(w, http.StatusNotFound, errorBody{Error: "no such " + strings.TrimSuffix(strings.Split(r.URL.Path, "/")[3], "s")})
		return 0, false
	}
	return uint(n), true
}
