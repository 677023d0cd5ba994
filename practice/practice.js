// The practice page: plain JavaScript, no build step, nothing fetched from another host.
// Data: /practice/catalogue.json (scoring/data/catalogue.json) and /practice/samples.jsonl (examples/batch.jsonl,
// one sample submission per item type). Scoring: POST /score_async, then the job's `scoreJob` stream item over
// Motia's WebSocket (GET /job/{id} polling when the socket fails), then POST /assessments for the report.
'use strict'

const $ = (id) => document.getElementById(id)
const MAX_TEXT_CHARS = 20000 // scoring/models.py MAX_TEXT_CHARS
const SECTIONS = { speaking_writing: 'Speaking & Writing', reading: 'Reading', listening: 'Listening' }
const INSTRUCTIONS = {
  read_aloud: 'Read the text aloud as naturally and clearly as possible.',
  repeat_sentence: 'You will hear a sentence. Repeat it exactly as you hear it.',
  describe_image: 'Describe the image in detail.',
  retell_lecture: 'You will hear a lecture. Retell it in your own words.',
  answer_short_question: 'You will hear a question. Answer with a single word or a few words.',
  summarize_group_discussion: 'You will hear a discussion. Summarise what the speakers said.',
  respond_to_situation: 'Read the situation and respond as you would in real life.',
  summarize_written_text: 'Summarise the passage in ONE sentence of 5 to 75 words.',
  write_essay: 'Write an essay of 200 to 300 words on the topic.',
  reading_writing_fill_blanks: 'Choose the best word for each blank.',
  multiple_choice_multiple_reading: 'Read the text and choose all the correct answers. Wrong choices cost a point.',
  reorder_paragraphs: 'Put the paragraphs in the right order (use the Up and Down buttons).',
  reading_fill_blanks: 'Fill each blank with a word from the box.',
  multiple_choice_single_reading: 'Read the text and choose the one correct answer.',
  summarize_spoken_text: 'You will hear a short lecture. Summarise it in 50 to 70 words.',
  multiple_choice_multiple_listening: 'Listen and choose all the correct answers. Wrong choices cost a point.',
  listening_fill_blanks: 'Listen and type the missing word in each blank.',
  highlight_correct_summary: 'Listen and choose the summary that best matches the recording.',
  multiple_choice_single_listening: 'Listen and choose the one correct answer.',
  select_missing_word: 'Listen: the last word or words are replaced by a beep. Choose the missing ending.',
  highlight_incorrect_words: 'Listen and press each word in the text that differs from what the speaker says. Wrong presses cost a point.',
  write_from_dictation: 'Listen and type the sentence exactly as you hear it.',
}
// which item field is the audio the learner hears in the test (shown as a transcript here)
const HEARD = {
  repeat_sentence: 'reference_text', write_from_dictation: 'reference_text', retell_lecture: 'source_text',
  summarize_group_discussion: 'source_text', summarize_spoken_text: 'source_text',
}
const WORD_RE = /(?:[A-Za-z]\.){2,}|\d+(?:[.,:]\d+)*%?|[\p{L}\p{N}]+(?:['’-][\p{L}\p{N}]+)*/gu // scoring/text.py

let catalogue = null
const samples = {}
const session = { type: null, audio: null, recorder: null, recordStarted: 0, timer: null,
  sample: null, jobIds: [], busy: false }

// ------------------------------------------------------------------ small helpers

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue
    if (k === 'class') node.className = v
    else if (k === 'text') node.textContent = v
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v)
    else node.setAttribute(k, v === true ? '' : v)
  }
  for (const c of children.flat()) if (c !== null && c !== undefined) node.append(c)
  return node
}

function say(message, kind = 'info') {
  const box = $('status')
  box.className = kind === 'error' ? 'error' : ''
  box.replaceChildren(...(Array.isArray(message) ? message : [message]))
}

function wordCount(text) {
  return (text.match(WORD_RE) || []).length
}

function spec() {
  return catalogue.items[session.type]
}

function item() {
  return samples[session.type].item
}

// ------------------------------------------------------------------ start

async function start() {
  try {
    const [cat, lines] = await Promise.all([
      fetch('/practice/catalogue.json').then(okJson),
      fetch('/practice/samples.jsonl').then((r) => (r.ok ? r.text() : Promise.reject(new Error(`HTTP ${r.status}`)))),
    ])
    catalogue = cat
    for (const line of lines.split('\n')) if (line.trim()) {
      const s = JSON.parse(line)
      samples[s.item_type] = s
    }
  } catch (e) {
    say('The practice items could not be loaded from this server. Reload the page to try again.', 'error')
    return
  }
  const select = $('item-type')
  for (const [section, label] of Object.entries(SECTIONS)) {
    const group = el('optgroup', { label })
    for (const [code, s] of Object.entries(catalogue.items)) {
      if (s.section === section && samples[code]) group.append(el('option', { value: code, text: `${s.name} (${s.abbr})` }))
    }
    select.append(group)
  }
  select.addEventListener('change', () => showItem(select.value))
  $('practice').addEventListener('submit', (e) => { e.preventDefault(); scoreNow() })
  $('sample').addEventListener('click', useSample)
  $('record').addEventListener('click', toggleRecording)
  $('audio-file').addEventListener('change', (e) => uploadFile(e.target.files[0]))
  $('answer').addEventListener('input', updateCount)
  $('make-report').addEventListener('click', makeReport)
  const wanted = new URLSearchParams(location.search).get('item')
  showItem(samples[wanted] ? wanted : select.value)
}

async function okJson(r) {
  if (!r.ok) throw new Error(`HTTP ${r.status}`)
  return r.json()
}

// ------------------------------------------------------------------ the item, as in the test

function showItem(code) {
  session.type = code
  session.audio = null
  session.sample = null
  $('item-type').value = code
  const s = spec()
  const it = item()
  const rule = Object.entries(s.traits).map(([t, tr]) => `${catalogue.traits[t].label} 0-${tr.max ?? 'n'}`).join(', ')
  $('item-rule').textContent = `${SECTIONS[s.section]}, ${s.mode} item. Scored on: ${rule}.`
  const body = $('item-body')
  body.replaceChildren(el('p', { class: 'instruction', text: INSTRUCTIONS[code] || '' }))
  if (it.chart) body.append(chart(it.chart))
  if (it.prompt) body.append(el('p', { class: 'passage', text: it.prompt }))
  if (code === 'read_aloud') body.append(el('p', { class: 'passage', text: it.reference_text }))
  else if (it.source_text && !HEARD[code] && code !== 'highlight_incorrect_words') body.append(el('p', { class: 'passage', text: it.source_text }))
  const heard = HEARD[code] ? it[HEARD[code]] : it.audio_transcript
  if (heard) body.append(transcript(heard))

  $('answer-written').hidden = !(s.mode === 'written' || code === 'write_from_dictation')
  $('answer-spoken').hidden = s.mode !== 'spoken'
  const objective = $('answer-objective')
  objective.replaceChildren()
  objective.hidden = s.mode !== 'objective' || code === 'write_from_dictation'
  if (!objective.hidden) objective.append(objectiveControls(code, it))
  $('answer').value = ''
  updateCount()
  resetAudio('No recording yet.')
  $('result').hidden = true
  say('')
}

function transcript(text) {
  const d = el('details', {}, el('summary', { text: 'Audio transcript' }),
    el('p', { class: 'hint', text: 'The test plays this as audio. Read it only if you cannot listen.' }),
    el('p', { class: 'passage', text }))
  if ('speechSynthesis' in window && speechSynthesis.getVoices().length) {
    return el('div', {}, el('button', { type: 'button', onclick: () => speechSynthesis.speak(new SpeechSynthesisUtterance(text)) }, 'Listen'), d)
  }
  return d
}

function chart(c) {
  const ns = 'http://www.w3.org/2000/svg'
  const w = 480, h = 260, left = 40, bottom = 220, top = 40
  const max = Math.max(...c.bars.map((b) => b[1])) * 1.15
  const svg = document.createElementNS(ns, 'svg')
  svg.setAttribute('viewBox', `0 0 ${w} ${h}`)
  svg.setAttribute('class', 'chart')
  svg.setAttribute('role', 'img')
  svg.setAttribute('aria-label', `${c.title}: ` + c.bars.map(([k, v]) => `${k} ${v}${c.unit || ''}`).join(', '))
  const add = (tag, attrs, text) => {
    const n = document.createElementNS(ns, tag)
    for (const [k, v] of Object.entries(attrs)) n.setAttribute(k, v)
    if (text !== undefined) n.textContent = text
    svg.append(n)
  }
  add('text', { x: w / 2, y: 22, 'text-anchor': 'middle', 'font-size': 15, 'font-weight': 'bold' }, c.title)
  const bw = (w - left - 20) / c.bars.length
  c.bars.forEach(([label, v], i) => {
    const bh = ((bottom - top) * v) / max
    const x = left + i * bw + bw * 0.15
    add('rect', { x, y: bottom - bh, width: bw * 0.7, height: bh, fill: '#0b5394' })
    add('text', { x: x + bw * 0.35, y: bottom - bh - 6, 'text-anchor': 'middle', 'font-size': 13 }, `${v}${c.unit || ''}`)
    add('text', { x: x + bw * 0.35, y: bottom + 18, 'text-anchor': 'middle', 'font-size': 13 }, label)
  })
  add('line', { x1: left, x2: w - 10, y1: bottom, y2: bottom, stroke: '#1a1a1a' })
  return svg
}

function objectiveControls(code, it) {
  if (it.passage_parts) return blanks(it)
  if (code === 'reorder_paragraphs') return reorder(it)
  if (code === 'highlight_incorrect_words') return highlightWords(it)
  const multiple = Array.isArray(it.answer_key)
  const fs = el('fieldset', {}, el('legend', { text: multiple ? 'Choose all that apply' : 'Choose one' }))
  it.options.forEach((opt, i) => {
    const id = `opt-${i}`
    fs.append(el('div', { class: 'choice' },
      el('input', { type: multiple ? 'checkbox' : 'radio', name: 'choice', id, value: String(i) }),
      el('label', { for: id, text: typeof opt === 'string' ? opt : opt.text })))
  })
  return fs
}

function blanks(it) {
  const p = el('p', { class: 'blanks passage' })
  const perBlank = Array.isArray(it.options) && it.options.every(Array.isArray)
  const bank = Array.isArray(it.options) && !perBlank ? it.options : null
  it.passage_parts.forEach((part, i) => {
    p.append(part)
    if (i === it.passage_parts.length - 1) return
    const label = `Blank ${i + 1}`
    if (perBlank || bank) {
      const choices = perBlank ? it.options[i] : bank
      p.append(el('select', { 'aria-label': label, 'data-blank': i },
        el('option', { value: '', text: '(choose)' }), choices.map((c) => el('option', { value: c, text: c }))))
    } else {
      p.append(el('input', { type: 'text', 'aria-label': label, 'data-blank': i, autocomplete: 'off', spellcheck: 'false', size: 12 }))
    }
  })
  const out = el('div', {}, p)
  if (bank) out.prepend(el('p', { class: 'hint', text: 'Word box: ' + bank.join(', ') }))
  return out
}

function reorder(it) {
  const list = el('ol', { class: 'order', 'aria-label': 'Paragraphs in your order' })
  const move = (li, dir) => {
    const other = dir < 0 ? li.previousElementSibling : li.nextElementSibling
    if (!other) return
    if (dir < 0) list.insertBefore(li, other)
    else list.insertBefore(other, li)
    li.querySelector(dir < 0 ? '.up' : '.down').focus()
    say(`Moved to position ${[...list.children].indexOf(li) + 1}.`)
  }
  for (const p of it.options) {
    const li = el('li', { 'data-id': p.id }, el('span', { text: p.text }))
    li.append(el('button', { type: 'button', class: 'up', 'aria-label': `Move up: ${p.text.slice(0, 40)}`, onclick: () => move(li, -1) }, '↑'),
      el('button', { type: 'button', class: 'down', 'aria-label': `Move down: ${p.text.slice(0, 40)}`, onclick: () => move(li, 1) }, '↓'))
    list.append(li)
  }
  return list
}

function highlightWords(it) {
  const p = el('p', { class: 'words', 'aria-label': 'Transcript: press the words that differ from the recording' })
  let last = 0
  let i = 0
  for (const m of it.source_text.matchAll(WORD_RE)) {
    p.append(it.source_text.slice(last, m.index))
    p.append(el('button', { type: 'button', 'aria-pressed': 'false', 'data-index': i++,
      onclick: (e) => e.currentTarget.setAttribute('aria-pressed', String(e.currentTarget.getAttribute('aria-pressed') !== 'true')) }, m[0]))
    last = m.index + m[0].length
  }
  p.append(it.source_text.slice(last))
  return p
}

// ------------------------------------------------------------------ answers

function updateCount() {
  const t = $('answer').value
  $('word-count').textContent = `${wordCount(t)} words, ${t.length} characters`
}

/** {response} or {error: words} from what is on the page; nothing the learner typed is changed. */
function readResponse() {
  const code = session.type
  const s = spec()
  if (session.sample) return { response: session.sample }
  if (s.mode === 'written' || code === 'write_from_dictation') {
    const text = $('answer').value
    if (!text.trim()) return { error: 'The Answer box is empty: write your answer first.' }
    if (text.length > MAX_TEXT_CHARS) {
      return { error: `Your answer is ${text.length.toLocaleString()} characters long; the limit is ${MAX_TEXT_CHARS.toLocaleString()}. Shorten it and score again.` }
    }
    return { response: { text } }
  }
  if (s.mode === 'spoken') {
    if (!session.audio) return { error: 'There is no recording yet: press Record and speak, or upload a recording.' }
    return { response: { audio_id: session.audio } }
  }
  const box = $('answer-objective')
  if (item().passage_parts) {
    const answer = [...box.querySelectorAll('[data-blank]')].map((f) => f.value.trim())
    if (answer.every((a) => !a)) return { error: 'All the blanks are empty: fill at least one first.' }
    return { response: { answer } }
  }
  if (code === 'reorder_paragraphs') return { response: { answer: [...box.querySelectorAll('li')].map((li) => li.dataset.id) } }
  if (code === 'highlight_incorrect_words') {
    return { response: { answer: [...box.querySelectorAll('button[aria-pressed=true]')].map((b) => Number(b.dataset.index)) } }
  }
  const chosen = [...box.querySelectorAll('input:checked')].map((c) => Number(c.value))
  if (Array.isArray(item().answer_key)) return { response: { answer: chosen } }
  if (!chosen.length) return { error: 'No option is chosen: choose one first.' }
  return { response: { answer: chosen[0] } }
}

/** Put the sample answer on the page (spoken samples are timed transcripts: they are sent as they are). */
function useSample() {
  const code = session.type
  const r = samples[code].response
  const box = $('answer-objective')
  if (spec().mode === 'spoken') {
    session.sample = r
    const words = r.text || (r.words || []).map((w) => w.word).join(' ')
    resetAudio(`Sample answer (a timed transcript, no audio): "${words}". Pronunciation needs a recording.`, true)
    return
  }
  if (r.text !== undefined) $('answer').value = r.text
  else if (item().passage_parts) box.querySelectorAll('[data-blank]').forEach((f, i) => { f.value = r.answer[i] ?? '' })
  else if (code === 'reorder_paragraphs') {
    const list = box.querySelector('ol')
    for (const id of r.answer) list.append(list.querySelector(`li[data-id="${CSS.escape(id)}"]`))
  } else if (code === 'highlight_incorrect_words') {
    box.querySelectorAll('button[data-index]').forEach((b) => b.setAttribute('aria-pressed', String(r.answer.includes(Number(b.dataset.index)))))
  } else {
    const chosen = Array.isArray(r.answer) ? r.answer : [r.answer]
    box.querySelectorAll('input').forEach((c) => { c.checked = chosen.includes(Number(c.value)) })
  }
  updateCount()
  say('The sample answer is filled in: change it or press Score.')
}

// ------------------------------------------------------------------ recording and upload

function resetAudio(message, keepSample = false) {
  if (!keepSample) session.sample = null
  session.audio = null
  const a = $('playback')
  a.hidden = true
  a.removeAttribute('src')
  $('audio-state').textContent = message
}

async function toggleRecording() {
  const button = $('record')
  if (session.recorder) {
    session.recorder.stop()
    return
  }
  if (!navigator.mediaDevices || !window.MediaRecorder) {
    say('This browser cannot record here (recording needs a secure page and MediaRecorder). Upload a recording instead.', 'error')
    return
  }
  let stream
  try {
    // the raw voice: echo cancelling, noise suppression and gain control change what pronunciation is scored on
    stream = await navigator.mediaDevices.getUserMedia({ audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } })
  } catch (e) {
    const why = e && e.name === 'NotAllowedError' ? 'the browser was not allowed to use the microphone'
      : e && e.name === 'NotFoundError' ? 'no microphone was found' : 'the microphone could not be opened'
    say(`Recording did not start: ${why}. Allow the microphone for this page, or upload a recording instead.`, 'error')
    return
  }
  const chunks = []
  const recorder = new MediaRecorder(stream)
  session.recorder = recorder
  session.sample = null
  recorder.ondataavailable = (e) => { if (e.data.size) chunks.push(e.data) }
  recorder.onstop = () => {
    stream.getTracks().forEach((t) => t.stop())
    clearInterval(session.timer)
    session.recorder = null
    button.textContent = 'Record'
    button.classList.remove('recording')
    $('record-time').textContent = ''
    const blob = new Blob(chunks, { type: recorder.mimeType || 'audio/webm' })
    upload(blob, 'recording.webm')
  }
  recorder.start(250)
  session.recordStarted = Date.now()
  session.timer = setInterval(() => { $('record-time').textContent = `${((Date.now() - session.recordStarted) / 1000).toFixed(0)} s` }, 500)
  button.textContent = 'Stop'
  button.classList.add('recording')
  say('Recording: speak now, then press Stop.')
}

function uploadFile(file) {
  if (!file) return
  upload(file, file.name)
}

async function upload(blob, name) {
  resetAudio(`Uploading ${name}…`)
  say(`Uploading the recording (${(blob.size / 1024).toFixed(0)} KB)…`)
  let r
  try {
    r = await fetch('/audio', { method: 'POST', body: blob,
      headers: { 'content-type': blob.type || 'application/octet-stream', 'x-filename': name } })
  } catch (e) {
    resetAudio('No recording yet.')
    return say('The recording could not be sent: the server did not answer. Check the connection and try again.', 'error')
  }
  const body = await r.json().catch(() => ({}))
  if (!r.ok) {
    resetAudio('No recording yet.')
    return say(`The recording was not accepted: ${errorWords(r.status, body)}`, 'error')
  }
  session.audio = body.audio_id
  const a = $('playback')
  a.src = URL.createObjectURL(blob)
  a.hidden = false
  $('audio-state').textContent = `Recording ready: ${body.duration_s?.toFixed?.(1) ?? '?'} s of ${body.format || 'audio'}.`
  say('The recording is uploaded: press Score.')
}

// ------------------------------------------------------------------ scoring

function errorWords(status, body) {
  const errors = (body && body.errors) || []
  const plain = errors.map((e) => `${fieldName(e.field)}: ${e.message}`).join('; ')
  if (status === 413) return 'it is too large for the server. ' + (plain || 'Shorten it and try again.')
  if (status === 503 || status === 502) return 'the scoring engine is not available right now. Your answer is kept: try again in a moment.'
  if (status >= 500) return `the server had a problem (HTTP ${status}). Your answer is kept: try again in a moment.`
  return plain || `the server refused it (HTTP ${status}).`
}

function fieldName(field) {
  return ({ 'response.text': 'Answer', 'response.answer': 'Answer', 'response.audio_id': 'Recording', body: 'Request',
    engine: 'Scoring engine', audio: 'Recording', 'content-type': 'File type' })[field] || field
}

async function scoreNow() {
  if (session.busy) return
  const got = readResponse()
  if (got.error) return say(got.error, 'error')
  const submission = { item_type: session.type, item: item(), response: got.response }
  session.busy = true
  $('score').disabled = true
  $('result').hidden = true
  say('Sending your answer…')
  try {
    let r
    try {
      r = await fetch('/score_async', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(submission) })
    } catch (e) {
      return say('Your answer could not be sent: the server did not answer. It is kept on the page: try again.', 'error')
    }
    const body = await r.json().catch(() => ({}))
    if (r.status !== 202) return say(`Your answer was not scored: ${errorWords(r.status, body)}`, 'error')
    const job = await follow(body.job_id)
    if (job.status === 'failed') return say(`Scoring failed: ${job.error || 'the engine gave no reason'}. Your answer is kept: try again.`, 'error')
    showResult(job.result, submission)
    session.jobIds.push(body.job_id)
    $('scored-count').textContent = String(session.jobIds.length)
    $('make-report').disabled = false
    say(`Scored in ${((job.timings_ms || {}).total / 1000 || 0).toFixed(1)} s.`)
  } catch (e) {
    say(`Scoring did not finish: ${e.message}. Your answer is kept: try again.`, 'error')
  } finally {
    session.busy = false
    $('score').disabled = false
  }
}

const STATUS_WORDS = { queued: 'Queued', running: 'Scoring', completed: 'Done', failed: 'Failed' }
const SOURCE_WORDS = { nlp: 'text and answers', speech: 'recording (transcribing, aligning)', ai: 'AI rater' }

function progress(job) {
  const parts = Object.entries(job.partials || {}).map(([src, p]) =>
    el('li', { text: `${SOURCE_WORDS[src] || src}: ${p.status}${p.reason ? ` (${p.reason})` : ''}` }))
  say([el('span', { text: `${STATUS_WORDS[job.status] || job.status}…` }), el('ul', { class: 'steps' }, parts)])
}

/** Resolve with the job once it is completed or failed: its stream item live, GET /job/{id} as the fallback. */
function follow(jobId, timeoutMs = 180000) {
  return new Promise((resolve, reject) => {
    let done = false
    let poller = null
    let ws = null
    const finish = (job) => {
      if (done) return
      done = true
      clearInterval(poller)
      clearTimeout(limit)
      if (ws) ws.close()
      resolve(job)
    }
    const seen = (job) => {
      if (done || !job) return
      progress(job)
      if (job.status === 'completed' && job.result) finish(job)
      else if (job.status === 'failed') finish(job)
    }
    const poll = () => {
      if (poller || done) return
      const once = async () => {
        try {
          const r = await fetch(`/job/${encodeURIComponent(jobId)}`)
          if (r.ok) seen(await r.json())
        } catch (e) { /* the next tick tries again */ }
      }
      poller = setInterval(once, 1000)
      once()
    }
    const limit = setTimeout(() => {
      if (done) return
      done = true
      clearInterval(poller)
      if (ws) ws.close()
      reject(new Error('no result within three minutes'))
    }, timeoutMs)
    try {
      ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}`)
      ws.onopen = () => ws.send(JSON.stringify({ type: 'join', data: { streamName: 'scoreJob', groupId: jobId, id: jobId, subscriptionId: crypto.randomUUID ? crypto.randomUUID() : uuid() } }))
      ws.onmessage = (m) => {
        let msg
        try { msg = JSON.parse(m.data) } catch (e) { return }
        const data = msg.event && msg.event.data
        for (const d of Array.isArray(data) ? data : [data]) if (d && d.job_id === jobId) seen(d)
      }
      ws.onerror = poll
      ws.onclose = () => { if (!done) poll() }
    } catch (e) {
      poll()
    }
    setTimeout(() => { if (!done) poll() }, 8000) // a missed message must not leave the learner waiting
  })
}

function uuid() {
  return '10000000-1000-4000-8000-100000000000'.replace(/[018]/g, (c) => (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16))
}

// ------------------------------------------------------------------ the result

function showResult(res, submission) {
  const box = $('result')
  const scoredNote = res.scored_max < res.max_score ? ` (${res.scored_max} of the points could be assessed)` : ''
  $('total').textContent = `${res.score} / ${res.max_score}${scoredNote}`
  const gate = $('gate')
  gate.hidden = !res.gated
  if (res.gated) {
    gate.textContent = `Gate applied: ${res.gate_reason || 'a gating trait scored 0'}. In PTE a 0 on ${gateTraits()} gives the whole item 0; the bars show what each trait would have scored.`
  }
  const list = $('traits')
  list.replaceChildren()
  for (const [name, t] of Object.entries(res.traits)) {
    const label = (catalogue.traits[name] || {}).label || name
    const shown = t.scored ? (res.gated && t.evidence && t.evidence.ungated_score !== undefined ? t.evidence.ungated_score : t.score) : null
    const pct = shown === null ? 0 : Math.round((100 * shown) / Math.max(t.max, 1))
    const valueText = t.scored ? `${t.score} / ${t.max}${shown !== t.score ? ` (${shown} before the gate)` : ''}` : `not scored / ${t.max}`
    list.append(el('li', { class: t.scored ? '' : 'not-scored' },
      el('div', { class: 'trait-head' }, el('span', { text: label }), el('span', { text: valueText })),
      el('div', { class: 'bar', role: 'meter', 'aria-label': label, 'aria-valuemin': 0, 'aria-valuemax': t.max,
        'aria-valuenow': shown ?? 0, 'aria-valuetext': valueText }, fill(pct)),
      el('p', { class: 'trait-feedback', text: t.feedback || t.reason || '' })))
  }
  drawEvidence(res, submission)
  box.hidden = false
  box.focus()
}

function fill(pct) {
  const span = el('span')
  span.style.width = `${pct}%` // through the CSSOM: the page's CSP allows no inline style attributes
  return span
}

function gateTraits() {
  return (spec().gates || []).map((t) => catalogue.traits[t].label).join(' or ')
}

function findingsOf(res) {
  const out = []
  for (const [trait, t] of Object.entries(res.traits)) {
    for (const f of (t.evidence && t.evidence.findings) || []) out.push({ ...f, trait })
  }
  return out
}

function drawEvidence(res, submission) {
  const ev = $('evidence')
  const legend = $('legend')
  ev.replaceChildren()
  legend.replaceChildren()
  const code = res.item_type
  const content = res.traits.content || {}
  const r = submission.response
  if (code === 'write_from_dictation' && content.evidence && content.evidence.alignment) {
    for (const a of content.evidence.alignment) ev.append(dictationWord(a), ' ')
    for (const x of content.evidence.extra || []) ev.append(el('span', { class: 'w extra', text: x.response, title: 'not in the sentence' }), ' ')
    legend.append(key('ok', 'correct word'), key('misspelled', 'misspelled or another form (what you wrote → the word)'),
      key('missing', 'missing'), key('extra', 'extra word, no penalty'))
  } else if (code === 'highlight_incorrect_words' && content.evidence) {
    highlightRows(ev, submission.item.source_text, content.evidence)
    legend.append(key('ok', 'correctly highlighted'), key('missing', 'wrongly highlighted (-1)'), key('misspelled', 'an incorrect word you missed'))
  } else if (typeof r.text === 'string' && spec().mode !== 'spoken') {
    markText(ev, r.text, findingsOf(res).filter((f) => Number.isInteger(f.start) && Number.isInteger(f.end)))
    legend.append(key('err', 'grammar or word choice (hover or focus for the suggestion)', 'mark'), key('err spelling', 'spelling', 'mark'))
  } else if (spec().mode === 'spoken') {
    spokenWords(ev, res, r)
    legend.append(key('clear', 'clear'), key('unclear', 'unclear pronunciation'), key('pause', 'pause'), key('filler', 'filler'))
  } else {
    objectiveRows(ev, res)
  }
  const notes = findingsOf(res).filter((f) => f.message)
  if (notes.length) {
    legend.append(el('ul', { class: 'findings' }, notes.slice(0, 30).map((f) =>
      el('li', { text: f.message + (f.suggestions && f.suggestions.length && !f.message.includes(`'${f.suggestions[0]}'`)
        ? ` → ${f.suggestions.slice(0, 3).join(', ')}` : '') }))))
  }
  for (const w of res.warnings || []) legend.append(el('p', { text: `Note: ${typeof w === 'string' ? w : w.message || JSON.stringify(w)}` }))
}

function key(cls, text, tag = 'span') {
  return el('span', {}, el(tag, { class: tag === 'span' ? `w ${cls}` : cls, text: 'word' }), ` ${text}. `)
}

function dictationWord(a) {
  if (a.status === 'matched') return el('span', { class: 'w ok', text: a.response })
  if (a.status === 'missing') return el('span', { class: 'w missing', text: a.expected, title: 'missing' })
  return el('span', { class: 'w misspelled', text: `${a.response} → ${a.expected}`, title: a.status.replace(/_/g, ' ') })
}

function markText(box, text, findings) {
  findings.sort((a, b) => a.start - b.start || b.end - a.end)
  let at = 0
  for (const f of findings) {
    if (f.start < at) continue // overlapping findings: the first one is drawn, all are listed below
    box.append(text.slice(at, f.start))
    const tip = `${f.kind.replace(/_/g, ' ')}: ${f.message}` + (f.suggestions && f.suggestions.length ? `; try: ${f.suggestions.slice(0, 3).join(', ')}` : '')
    box.append(el('mark', { class: `err ${f.kind === 'spelling' ? 'spelling' : ''}`, title: tip, tabindex: 0, 'aria-label': `${text.slice(f.start, f.end)} (${tip})` }, text.slice(f.start, f.end)))
    if (f.suggestions && f.suggestions.length) box.append(el('span', { class: 'sugg', text: ` [${f.suggestions[0]}]` }))
    at = f.end
  }
  box.append(text.slice(at))
}

function spokenWords(box, res, response) {
  const pron = res.traits.pronunciation || {}
  const flu = res.traits.oral_fluency || {}
  const heard = Object.values(res.traits).map((t) => (t.evidence || {}).transcript).find((t) => t)
  const unclear = new Set(((pron.evidence || {}).findings || []).map((f) => `${f.text}@${f.time}`))
  let words = ((pron.evidence || {}).words || []).map((w) => ({ ...w, clear: !unclear.has(`${w.word}@${w.start}`) }))
  if (!words.length) words = (response.words || []).map((w) => ({ ...w, clear: null }))
  const events = ((flu.evidence || {}).findings || []).filter((f) => typeof f.time === 'number')
  const items = [...words.map((w) => ({ t: w.start, w })), ...events.map((f) => ({ t: f.time, f }))].sort((a, b) => a.t - b.t)
  if (!items.length) { // no timings: the transcript as recognised (or as given)
    box.append(el('span', { text: heard || response.text || 'No words were recognised in the recording.' }))
    return
  }
  if (pron.scored === false) box.append(el('p', { class: 'hint', text: `Pronunciation not scored: ${pron.reason}` }))
  if (heard) box.append(el('p', { class: 'hint', text: `Recognised: "${heard}"` }))
  for (const it of items) {
    if (it.w) {
      const cls = it.w.clear === null ? '' : it.w.clear ? 'clear' : 'unclear'
      box.append(el('span', { class: `w ${cls}`, title: it.w.gop !== undefined ? `pronunciation score (GOP) ${it.w.gop.toFixed(1)}` : null, text: it.w.word }), ' ')
    } else if (it.f.kind === 'long_pause' || it.f.kind === 'hesitation') {
      box.append(el('span', { class: 'pause', text: `‖ ${it.f.message}` }), ' ')
    } else {
      box.append(el('span', { class: 'filler', text: it.f.message }), ' ')
    }
  }
}

function highlightRows(box, text, evc) {
  const cls = new Map()
  for (const h of evc.highlights || []) cls.set(h.index, h.correct ? 'ok' : 'missing')
  for (const m of evc.missed || []) cls.set(m.index, 'misspelled')
  let last = 0
  let i = 0
  for (const m of text.matchAll(WORD_RE)) {
    box.append(text.slice(last, m.index))
    const c = cls.get(i++)
    box.append(c ? el('span', { class: `w ${c}`, text: m[0] }) : m[0])
    last = m.index + m[0].length
  }
  box.append(text.slice(last))
}

function objectiveRows(box, res) {
  const evc = (res.traits.content || {}).evidence || {}
  const rows = evc.options || evc.blanks || evc.pairs || []
  const ul = el('ul', { class: 'findings' })
  for (const row of rows) {
    const cls = rowClass(row)
    ul.append(el('li', { class: cls, text: `${cls === 'ok' ? '✓' : cls ? '✗' : '·'} ${describeRow(row)}` }))
  }
  box.append(rows.length ? ul : el('span', { text: (res.traits.content || {}).feedback || '' }))
}

function rowClass(row) {
  if (row.pair) return row.correct ? 'ok' : 'missing'
  if (row.blank) return row.correct ? 'ok' : row.status === 'misspelled' ? 'misspelled' : 'missing'
  return row.points > 0 || (row.chosen && row.correct_option) ? 'ok' : row.points < 0 || row.chosen ? 'missing' : ''
}

function describeRow(row) {
  if (row.pair) return `${row.pair[0]} then ${row.pair[1]}: ${row.correct ? 'a correct pair (+1)' : 'not next to each other in the original'}`
  if (row.blank) {
    return `Blank ${row.blank}: ${row.answer ? `"${row.answer}"` : 'left empty'}, ${String(row.status).replace(/_/g, ' ')}` +
      (row.correct ? ' (+1)' : `; the answer: ${(row.accepted || []).join(' or ')}`)
  }
  const bits = [row.chosen ? 'chosen' : 'not chosen', row.correct_option ? 'a correct option' : 'not a correct option']
  if (row.points) bits.push(`${row.points > 0 ? '+' : ''}${row.points}`)
  return `${row.option}. ${row.text ?? ''}: ${bits.join(', ')}`
}

// ------------------------------------------------------------------ the score report

async function makeReport() {
  const box = $('report')
  say('Making the score report…')
  let r
  try {
    r = await fetch('/assessments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ job_ids: session.jobIds }) })
  } catch (e) {
    return say('The report could not be made: the server did not answer. Try again.', 'error')
  }
  const body = await r.json().catch(() => ({}))
  if (r.status !== 201) return say(`The report could not be made: ${errorWords(r.status, body)}`, 'error')
  const id = encodeURIComponent(body.assessment_id)
  const est = body.estimate
  const img = el('img', { src: `/assessments/${id}/report.svg`, alt: `Score report: overall ${est.overall.gse}; ` +
    Object.entries(est.skills).map(([s, v]) => `${s} ${v.gse ?? 'not assessed'}`).join(', ') + ' (estimates)' })
  img.addEventListener('load', () => say('The score report is ready below.'))
  img.addEventListener('error', () => say('The report picture could not be loaded: open the SVG or PNG link below.', 'error'))
  box.replaceChildren(
    el('p', { text: `Overall ${est.overall.gse ?? '–'} (${est.overall.cefr ?? 'not assessed'}), an estimate from ${est.items} item${est.items === 1 ? '' : 's'}.` }),
    img,
    el('p', {}, el('a', { href: `/assessments/${id}/report.svg`, id: 'report-svg' }, 'Report as SVG'), ' · ',
      el('a', { href: `/assessments/${id}/report.png`, id: 'report-png', download: `pte-report-${body.assessment_id}.png` }, 'Report as PNG')))
}

start()
