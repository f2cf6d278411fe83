package io.packetlens.guard.rules;

/** What a matching rule does with a packet ({@code action:} of a rule, {@code default:} of a ruleset). */
public enum Action {
    /** Pass the packet on (to the next program on the hook, then the stack). */
    ALLOW,
    /** Drop it at XDP (or TC), counted under the rule. */
    DENY,
    /** Pass it while its source is within the rule's limiter, drop it (and perhaps ban the source) beyond. */
    RATE_LIMIT,
    /** Count it under the rule and go on to the next rule: evaluation does not stop here. */
    COUNT
}
