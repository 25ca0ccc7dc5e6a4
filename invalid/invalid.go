// Package invalid carries refusals from domain code to the API: validation
// failures, a list of fields each with the reason it was refused (422), and
// deletions of what is still in use (409). It imports nothing of ours.
package invalid

import "strings"

// Field is one refused input: the field's name as the client sent it, and why.
type Field struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error lists every refused field of one request. The API answers it with 422.
type Error struct {
	Fields []Field
}

// Add records that field was refused for message.
func (e *Error) Add(field, message string) {
	e.Fields = append(e.Fields, Field{Field: field, Message: message})
}

// Err returns e if any field was refused, nil otherwise.
func (e *Error) Err() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("invalid input: ")
	for i, f := range e.Fields {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(f.Field)
		b.WriteString(": ")
		b.WriteString(f.Message)
	}
	return b.String()
}

// New returns an error refusing a single field.
func New(field, message string) error {
	return &Error{Fields: []Field{{Field: field, Message: message}}}
}
