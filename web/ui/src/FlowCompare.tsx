// The draft beside the published version: two read-only canvases with what
// was added, changed or removed highlighted, and the same differences as a
// list that a screen reader can read.
import { useEffect, useMemo, useState } from 'react'
import { ReactFlow, ReactFlowProvider, Background } from '@xyflow/react'
import { exitLabel, type FlowDocument, type FlowState } from './flows'
import { toGraph } from './flowgraph'
import { Builder, defaultEdgeOptions, edgeTypes, FitOnce, nodeTypes, type Directory } from './FlowBuilder'
import { Dialog } from './ui'

type Mark = 'diff-added' | 'diff-changed' | 'diff-removed'

const options: Record<string, string> = {
  user_id: 'user',
  group_id: 'group',
  ring: 'ring type',
  ring_seconds: 'ring time',
  record: 'recording',
  queue: 'queue',
  prompt: 'prompt',
  timeout_seconds: 'silence timeout',
  max_seconds: 'longest message',
}

function changedOptions(a: FlowState, b: FlowState): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)])
  keys.delete('position')
  keys.delete('id')
  const out: string[] = []
  for (const k of keys) {
    if (JSON.stringify((a as Record<string, unknown>)[k]) !== JSON.stringify((b as Record<string, unknown>)[k])) out.push(k === 'type' ? 'type' : (options[k] ?? k))
  }
  return out
}

/** diff says what the draft changes in the published version. */
export function diff(draft: FlowDocument, published: FlowDocument) {
  const changes: string[] = []
  const draftMarks = new Map<string, Mark>()
  const pubMarks = new Map<string, Mark>()
  if (draft.name !== published.name) changes.push(`Name: “${published.name}” becomes “${draft.name}”`)
  if (draft.description !== published.description) changes.push('The description changes')
  const dn = [...draft.numbers].sort().join(', ')
  const pn = [...published.numbers].sort().join(', ')
  if (dn !== pn) changes.push(`Numbers: ${pn || 'none'} become ${dn || 'none'}`)
  for (const s of draft.states) {
    const p = published.states.find((x) => x.id === s.id)
    if (!p) {
      draftMarks.set(s.id, 'diff-added')
      changes.push(`Added state ${s.id}`)
    } else {
      const what = changedOptions(s, p)
      if (what.length) {
        draftMarks.set(s.id, 'diff-changed')
        pubMarks.set(s.id, 'diff-changed')
        changes.push(`Changed state ${s.id}: ${what.join(', ')}`)
      }
    }
  }
  for (const p of published.states)
    if (!draft.states.some((s) => s.id === p.id)) {
      pubMarks.set(p.id, 'diff-removed')
      changes.push(`Removed state ${p.id}`)
    }
  const key = (c: { from: string; outcome: string }) => `${c.from}:${c.outcome}`
  const draftEdges = new Map<string, Mark>()
  const pubEdges = new Map<string, Mark>()
  for (const c of draft.connections) {
    const p = published.connections.find((x) => key(x) === key(c))
    if (!p) {
      draftEdges.set(key(c), 'diff-added')
      changes.push(`Added connection: ${exitLabel(c.outcome)} of ${c.from} → ${c.to}`)
    } else if (p.to !== c.to) {
      draftEdges.set(key(c), 'diff-changed')
      pubEdges.set(key(c), 'diff-changed')
      changes.push(`${exitLabel(c.outcome)} of ${c.from} now leads to ${c.to}, not ${p.to}`)
    }
  }
  for (const p of published.connections)
    if (!draft.connections.some((c) => key(c) === key(p))) {
      pubEdges.set(key(p), 'diff-removed')
      changes.push(`Removed connection: ${exitLabel(p.outcome)} of ${p.from} → ${p.to}`)
    }
  return { changes, draftMarks, pubMarks, draftEdges, pubEdges }
}

function Side(props: { title: string; doc: FlowDocument; marks: Map<string, Mark>; edgeMarks: Map<string, Mark> }) {
  const { nodes, edges } = useMemo(() => {
    const g = toGraph(props.doc)
    return {
      nodes: g.nodes.map((n) => ({ ...n, data: { ...n.data, diff: props.marks.get(n.id) } })),
      edges: g.edges.map((e) => ({ ...e, data: { diff: props.edgeMarks.get(e.id) } })),
    }
  }, [props.doc, props.marks, props.edgeMarks])
  // The dialog opens after its first render: draw once it has a size, so that the flow fits the view.
  const [shown, setShown] = useState(false)
  useEffect(() => {
    const r = requestAnimationFrame(() => setShown(true))
    return () => cancelAnimationFrame(r)
  }, [])
  return (
    <figure className="compare-side" aria-label={props.title}>
      <figcaption>{props.title}</figcaption>
      <div className="compare-canvas">
        {shown && (
        <ReactFlowProvider>
          <ReactFlow
            nodes={nodes}
            edges={edges}
            nodeTypes={nodeTypes}
            edgeTypes={edgeTypes}
            defaultEdgeOptions={defaultEdgeOptions}
            nodesDraggable={false}
            nodesConnectable={false}
            elementsSelectable={false}
            nodesFocusable={false}
            edgesFocusable={false}
            minZoom={0.1}
          >
            <Background gap={16} />
            <FitOnce />
          </ReactFlow>
        </ReactFlowProvider>
        )}
      </div>
    </figure>
  )
}

export function FlowCompare(props: { draft: FlowDocument; published: FlowDocument; version: number; directory: Directory; onClose: () => void }) {
  const d = useMemo(() => diff(props.draft, props.published), [props.draft, props.published])
  return (
    <Dialog title="Draft and published version" onClose={props.onClose} wide>
      <div className="dialog-body compare">
        <section aria-labelledby="changes-title">
          <h3 id="changes-title">{d.changes.length ? `What publishing the draft changes (${d.changes.length})` : 'The draft runs the same as the published version'}</h3>
          {d.changes.length > 0 && (
            <ul className="changes">
              {d.changes.map((c) => (
                <li key={c}>{c}</li>
              ))}
            </ul>
          )}
          <p className="legend">
            <span className="swatch diff-added" /> added <span className="swatch diff-changed" /> changed <span className="swatch diff-removed" /> removed
          </p>
        </section>
        <Builder.Provider value={{ readOnly: true, directory: props.directory, edit: () => {}, remove: () => {}, addKey: () => {}, removeEdge: () => {}, simAt: null }}>
          <div className="compare-sides">
            <Side title="Draft" doc={props.draft} marks={d.draftMarks} edgeMarks={d.draftEdges} />
            <Side title={`Published, version ${props.version}`} doc={props.published} marks={d.pubMarks} edgeMarks={d.pubEdges} />
          </div>
        </Builder.Provider>
      </div>
    </Dialog>
  )
}
