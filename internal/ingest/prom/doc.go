// Package prom reads metrics (kind "prom", host set "metrics"): a
// Prometheus /api/v1/query or /api/v1/query_range JSON response, or one
// scrape in the text exposition format, one attribute per metric.
package prom
