// Package leader runs a connector that several processes may run at once:
// they campaign in a Kafka consumer group (kafka.Client.Campaign), one
// leads and runs the connector's work under a context that ends with its
// term, the others wait as standbys (their readiness says who leads).
// In: the connector's environment and its work as a function. Out: the
// work's error, or one wrapping kafka.ErrLeadershipLost when the term
// ended first. Fencing what a deposed leader may still write is the
// connector's part (the source's checkpoint epochs, the sink's epoch row
// checked in every replica commit).
package leader
