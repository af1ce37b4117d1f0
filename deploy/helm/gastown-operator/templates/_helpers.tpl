{{/*
Helpers of the gastown-operator chart. The templates keep to a small subset of Go templates
(values, include, if/else/end, toYaml | nindent, quote) that test/e2e/deploy/helm.test.ts can
render without helm; see deploy/README.md.
*/}}

{{- define "gastown-operator.fullname" -}}
{{ .Release.Name }}
{{- end }}

{{- define "gastown-operator.selectorLabels" -}}
app.kubernetes.io/name: gastown-operator
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "gastown-operator.labels" -}}
{{ include "gastown-operator.selectorLabels" . }}
app.kubernetes.io/part-of: gastown-operator
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: gastown-operator-{{ .Chart.Version }}
{{- end }}
