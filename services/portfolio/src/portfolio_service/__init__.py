"""OBCMS portfolio service: PPAs, milestones, budget workflow, approvals, funding, MANA
assessments, needs, need-to-PPA links and the portfolio dashboard."""
