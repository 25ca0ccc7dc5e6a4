// Package web is the REST API under /api/v1, its authentication, the OpenAPI
// document, health and metrics endpoints, and (later) the admin app. Handlers
// are thin: they decode, call domain code, and encode. Nothing imports web.
package web
