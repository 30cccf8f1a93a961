package action

import "context"

type approvedRuleKey struct{}

// WithApprovedRule returns ctx saying that a person already approved what
// rule asked about in the surrounding context: the command that started the
// process a request comes from (safeclaw run's tree context). An ask by
// the same rule is then allowed without asking again.
func WithApprovedRule(ctx context.Context, rule RuleRef) context.Context {
	return context.WithValue(ctx, approvedRuleKey{}, rule)
}

// ApprovedRuleFrom returns the rule WithApprovedRule recorded in ctx.
func ApprovedRuleFrom(ctx context.Context) (RuleRef, bool) {
	r, ok := ctx.Value(approvedRuleKey{}).(RuleRef)
	return r, ok
}
