"""Pure rendering of the report: values in, strings out, no I/O (the writers are in `publishers` and
`github`).

    markdown       safe GitHub-flavoured Markdown from untrusted text
    glance         the bar, the counts, the trend and the comparison labels at the top
    summary        the report as the job summary, within a byte budget
    page           the whole job-summary page: the report and the records other services keep
    check_output   the check run's name, conclusion, title and summary
    annotations    the check run's annotations from the failed executions
    comment_body   the pull-request comment
    junit          the JUnit XML file
    outputs        the step outputs, from the report and the publishers' receipts
"""
