package io.packetlens.guard.rules;

import java.util.Comparator;
import java.util.List;
import java.util.Map;

/**
 * A whole ruleset, as one rules file describes it: the rules in evaluation order, the default action for packets no
 * rule decides, named limiters, the fragment policy, and whether it runs dry (evaluate and count everything, drop
 * nothing). It is swapped into the kernel in one step.
 */
public record RuleSet(List<Rule> rules, Action defaultAction, Map<String, RateLimit> limits, FragmentPolicy fragments,
                      boolean dryRun) {
    public RuleSet {
        rules = rules.stream().sorted(Comparator.comparingInt(Rule::priority)).toList();
        limits = Map.copyOf(limits);
        if (defaultAction != Action.ALLOW && defaultAction != Action.DENY) {
            throw new IllegalArgumentException("the default action is allow or deny");
        }
    }

    public static RuleSet allowAll() {
        return new RuleSet(List.of(), Action.ALLOW, Map.of(), FragmentPolicy.DEFAULT, false);
    }

    public RuleSet dryRun(boolean v) {
        return new RuleSet(rules, defaultAction, limits, fragments, v);
    }
}
