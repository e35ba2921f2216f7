"""The live job list: a paged DataTable of jobs, its cells and its filter."""
