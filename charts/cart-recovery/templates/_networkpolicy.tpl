{{/* Egress rules shared by the NetworkPolicies. Each renders a list of NetworkPolicyEgressRule. */}}

{{- define "cart-recovery.np.dnsEgress" -}}
{{- $dns := .Values.networkPolicy.dns -}}
- to:
    - namespaceSelector:
        matchLabels:
          {{- toYaml $dns.namespaceSelector | nindent 10 }}
      podSelector:
        matchLabels:
          {{- toYaml $dns.podSelector | nindent 10 }}
  ports:
    - port: 53
      protocol: UDP
    - port: 53
      protocol: TCP
{{- end }}

{{- define "cart-recovery.np.postgresEgress" -}}
{{- $pg := .Values.networkPolicy.postgres -}}
- ports:
    - port: {{ $pg.port }}
      protocol: TCP
  {{- with $pg.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{- define "cart-recovery.np.kafkaEgress" -}}
{{- $k := .Values.networkPolicy.kafka -}}
- ports:
    {{- range $k.ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- with $k.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{- define "cart-recovery.np.webhookEgress" -}}
{{- $w := .Values.networkPolicy.webhook -}}
- ports:
    {{- range $w.ports }}
    - port: {{ . }}
      protocol: TCP
    {{- end }}
  {{- with $w.to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/* Public port: from networkPolicy.ingressFrom (any source when empty). */}}
{{- define "cart-recovery.np.publicIngress" -}}
- ports:
    - port: http
      protocol: TCP
  {{- with .Values.networkPolicy.ingressFrom }}
  from:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}

{{/* /metrics on the public port: from networkPolicy.metricsFrom (any source when empty). */}}
{{- define "cart-recovery.np.metricsIngress" -}}
- ports:
    - port: http
      protocol: TCP
  {{- with .Values.networkPolicy.metricsFrom }}
  from:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end }}
