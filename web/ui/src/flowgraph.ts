// Between a flow document and the graph React Flow draws: states become
// nodes (an IVR node keeps the menu keys it shows), connections become
// edges from a named exit handle. A document made through the API has no
// positions: dagre lays it out from left to right.
import { Graph, layout } from '@dagrejs/dagre'
import type { Edge, Node } from '@xyflow/react'
import { exitsOf, menuKeys, type Connection, type FlowDocument, type FlowState } from './flows'

export interface StateData extends Record<string, unknown> {
  state: FlowState
  /** keys are the menu keys an IVR node shows, connected or not yet. */
  keys: string[]
  /** problems are what the server refused about the state when it was last saved or published. */
  problems: string[]
}
export type StateNode = Node<StateData, 'state'>
export type ExitEdge = Edge<Record<string, unknown>, 'exit'>

export const edgeId = (from: string, outcome: string) => `${from}:${outcome}`

export function toEdge(from: string, outcome: string, to: string): ExitEdge {
  return { id: edgeId(from, outcome), source: from, sourceHandle: outcome, target: to, targetHandle: 'in', type: 'exit' }
}

/** toGraph draws doc; states without a position are laid out, and so is every state when any lacks one. */
export function toGraph(doc: FlowDocument): { nodes: StateNode[]; edges: ExitEdge[] } {
  const nodes: StateNode[] = doc.states.map((s) => {
    const { position, ...state } = s
    const keys = s.type === 'ivr' ? menuKeys.filter((k) => doc.connections.some((c) => c.from === s.id && c.outcome === k)) : []
    return { id: s.id, type: 'state', position: position ?? { x: 0, y: 0 }, data: { state, keys, problems: [] } }
  })
  const edges = doc.connections.map((c) => toEdge(c.from, c.outcome, c.to))
  const laidOut = doc.states.length > 0 && doc.states.every((s) => s.position)
  return { nodes: laidOut ? nodes : autoLayout(nodes, edges), edges }
}

/** estimatedSize is how large a node draws, before the browser has measured it. */
function estimatedSize(n: StateNode) {
  return { width: n.measured?.width ?? 250, height: n.measured?.height ?? 78 + 26 * exitsOf(n.data.state.type, n.data.keys).length }
}

/** autoLayout places nodes from left to right along the way calls go, with dagre. */
export function autoLayout(nodes: StateNode[], edges: ExitEdge[]): StateNode[] {
  const g = new Graph()
  g.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 90, marginx: 20, marginy: 20 })
  g.setDefaultEdgeLabel(() => ({}))
  for (const n of nodes) g.setNode(n.id, estimatedSize(n))
  for (const e of edges) if (g.hasNode(e.source) && g.hasNode(e.target)) g.setEdge(e.source, e.target)
  layout(g)
  return nodes.map((n) => {
    const p = g.node(n.id)
    const { width, height } = estimatedSize(n)
    return { ...n, position: { x: Math.round(p.x - width / 2), y: Math.round(p.y - height / 2) } }
  })
}

/** toDocument writes the graph back as the document the API takes, in the order drawn. */
export function toDocument(meta: { name: string; description: string; numbers: string[] }, nodes: StateNode[], edges: ExitEdge[]): FlowDocument {
  return {
    name: meta.name,
    description: meta.description,
    numbers: meta.numbers,
    states: nodes.map((n) => ({ ...n.data.state, id: n.id, position: { x: Math.round(n.position.x), y: Math.round(n.position.y) } })),
    connections: edges.map((e) => ({ from: e.source, outcome: (e.sourceHandle ?? '') as Connection['outcome'], to: e.target })),
  }
}
