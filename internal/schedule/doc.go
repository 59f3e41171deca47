// Package schedule reads the schedule file of a maintenance week (`fleetq
// plan week FILE`, docs/windows.md): the week, the zone its times are
// written in, the location (scope) every host of which gets one slot,
// the verbs the slots gate, and the ordered steps with their start times
// and selections. It resolves the steps to slots in UTC and checks them;
// which hosts each step takes is the planner's (internal/actions).
//
// Every error names the file and the line of the offending key.
package schedule
