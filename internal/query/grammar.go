package query

import (
	"sync"

	"github.com/alecthomas/participle/v2"
	"github.com/alecthomas/participle/v2/lexer"
)

// The grammar. Each struct carries its production in a comment. The four
// set operators share one precedence level and associate to the left
// (Expr is a flat chain), as a pipeline of comm steps reads.

var queryLexer = lexer.MustSimple([]lexer.SimpleRule{
	{Name: "Comment", Pattern: `#[^\n]*`},
	{Name: "Whitespace", Pattern: `[ \t\r\n]+`},
	{Name: "Timestamp", Pattern: `\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?)?`},
	{Name: "Duration", Pattern: `\d+(\.\d+)?(ms|s|m|h|d|w)\b`},
	{Name: "Percent", Pattern: `\d+(\.\d+)?%`},
	{Name: "Number", Pattern: `\d+(\.\d+)?([eE][-+]?\d+)?`},
	{Name: "String", Pattern: `"(\\.|[^"\\])*"|'[^']*'`},
	{Name: "Rollout", Pattern: `rollout:[A-Za-z0-9_.\-/]*`},
	{Name: "Week", Pattern: `week:[A-Za-z0-9_.\-/]*`},
	{Name: "Ident", Pattern: `[A-Za-z_]([A-Za-z0-9_.\-]*[A-Za-z0-9_])?`},
	{Name: "Op", Pattern: `==|!=|<=|>=|!~|[-+&^|()=<>~@,:]`},
})

// The parsers are built on first use, not at package init: building one
// costs ~1 ms, and every fleetq process (even --help) would pay for both.
var (
	statementParser = sync.OnceValue(func() *participle.Parser[gStatement] {
		return participle.MustBuild[gStatement](parserOptions()...)
	})
	// pipelineParser parses a statement that cannot be a binding.
	pipelineParser = sync.OnceValue(func() *participle.Parser[gPipeline] {
		return participle.MustBuild[gPipeline](parserOptions()...)
	})
)

func parserOptions() []participle.Option {
	return []participle.Option{
		participle.Lexer(queryLexer),
		participle.Elide("Whitespace", "Comment"),
		participle.UseLookahead(64),
	}
}

// gStatement = [ Ident "=" ] gPipeline .
type gStatement struct {
	Pos  lexer.Position
	Bind *string    `parser:"( @Ident '=' )?"`
	Pipe *gPipeline `parser:"@@"`
}

// gPipeline = gOrExpr { "|" gStage } .
type gPipeline struct {
	Pos    lexer.Position
	Expr   *gOr      `parser:"@@"`
	Stages []*gStage `parser:"( '|' @@ )*"`
}

// gOr = gAnd { "or" gAnd } .
type gOr struct {
	Pos   lexer.Position
	Terms []*gAnd `parser:"@@ ( 'or' @@ )*"`
}

// gAnd = gNot { "and" gNot } .
type gAnd struct {
	Pos   lexer.Position
	Terms []*gNot `parser:"@@ ( 'and' @@ )*"`
}

// gNot = "not" gNot | gExpr .
type gNot struct {
	Pos  lexer.Position
	Not  *gNot  `parser:"  'not' @@"`
	Expr *gExpr `parser:"| @@"`
}

// gExpr = gTerm { ("+" | "-" | "&" | "^") gTerm } .
type gExpr struct {
	Pos   lexer.Position
	First *gTerm   `parser:"@@"`
	Rest  []*gOpTm `parser:"@@*"`
}

// gOpTm = ("+" | "-" | "&" | "^") gTerm .
type gOpTm struct {
	Pos  lexer.Position
	Op   string `parser:"@('+' | '-' | '&' | '^')"`
	Term *gTerm `parser:"@@"`
}

// gTerm = gPrimary [ "@" gRef ] .
type gTerm struct {
	Pos     lexer.Position
	Primary *gPrimary `parser:"@@"`
	At      *gRef     `parser:"( '@' @@ )?"`
}

// gRef = [ "-" ] Number | Timestamp .
type gRef struct {
	Pos   lexer.Position
	Minus bool    `parser:"(   @'-'?"`
	Num   *string `parser:"    @Number"`
	Time  *string `parser:") | @Timestamp"`
}

// gPrimary = "(" gOr ")" | String | Rollout | Week | gPred | Ident .
type gPrimary struct {
	Pos     lexer.Position
	Group   *gOr    `parser:"  '(' @@ ')'"`
	Literal *string `parser:"| @String"`
	Rollout *string `parser:"| @Rollout"`
	Week    *string `parser:"| @Week"`
	Pred    *gPred  `parser:"| @@"`
	Name    *string `parser:"| @Ident"`
}

// gPred = gOperand ( CmpOp gValue | ("in" | "notin") gList | "exists" ) .
type gPred struct {
	Pos     lexer.Position
	Operand *gOperand `parser:"@@"`
	Op      string    `parser:"(  @('==' | '=' | '!=' | '<=' | '>=' | '<' | '>' | '~' | '!~')"`
	Value   *gValue   `parser:"   @@"`
	InOp    string    `parser:"| @('in' | 'notin')"`
	List    []*gValue `parser:"  '(' @@ ( ',' @@ )* ')'"`
	Exists  bool      `parser:"| @'exists' )"`
}

// gOperand = Ident "(" Ident ")" | Ident .
type gOperand struct {
	Pos  lexer.Position
	Func *string `parser:"( @Ident '(' "`
	Arg  *string `parser:"  @Ident ')' )"`
	Name *string `parser:"| @Ident"`
}

// gValue = String | [ "-" ] (Number | Duration) | Percent | Timestamp | Ident .
type gValue struct {
	Pos      lexer.Position
	Str      *string `parser:"  @String"`
	Minus    bool    `parser:"| ( @'-'?"`
	Num      *string `parser:"    ( @Number"`
	Duration *string `parser:"    | @Duration ) )"`
	Time     *string `parser:"| @Timestamp"`
	Ident    *string `parser:"| @Ident"`
}

// gStage = "sample" (Percent | Number) ["stable"] | "head" Number
//
//	| "spread" Ident Number | "stratify" Ident {"," Ident} Number
//	| "where" gOr | "count" | "by" Ident | "show" Ident {"," Ident}
//	| "split" Number .
type gStage struct {
	Pos      lexer.Position
	Sample   *string  `parser:"  'sample' @(Percent | Number)"`
	Stable   bool     `parser:"  @'stable'?"`
	Head     *string  `parser:"| 'head' @Number"`
	Spread   *string  `parser:"| 'spread' @Ident"`
	SpreadN  *string  `parser:"  @Number"`
	Stratify []string `parser:"| 'stratify' @Ident ( ',' @Ident )*"`
	StratN   *string  `parser:"  @Number"`
	Where    *gOr     `parser:"| 'where' @@"`
	Count    bool     `parser:"| @'count'"`
	By       *string  `parser:"| 'by' @Ident"`
	Show     []string `parser:"| 'show' @Ident ( ',' @Ident )*"`
	Split    *string  `parser:"| 'split' @Number"`
}
