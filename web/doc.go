// Package web is the REST API under /api/v1, its authentication, the OpenAPI
// document, health and metrics endpoints, and the admin app (web/ui, embedded
// once built). Browser sessions carry a CSRF token; programs use bearer tokens. Handlers
// are thin: they decode, call domain code, and encode. Nothing imports web.
package web
